//! The INSERT statements of `save()` and `bulk_create()`, written directly.
//!
//! An insert has a fixed shape per model, backend and number of rows:
//! `INSERT INTO "t" ("a", "b") VALUES (?, ?), (?, ?) RETURNING "id"`. Its text is written
//! once per shape and kept (identifiers quoted by [`Backend::quote`], every value a
//! placeholder), and the objects' column values are moved straight into the bound
//! values: no sea-query statement, which would clone every value while writing the SQL.

use std::any::TypeId;
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock, RwLock};

use sea_query::{Value, Values};

use crate::backend::Backend;
use crate::model::Model;

#[derive(Hash, PartialEq, Eq)]
struct Shape {
    model: TypeId,
    backend: Backend,
    skip_pk: bool,
    rows: usize,
    returning: bool,
}

/// Statements kept at most (one per model and batch size in practice); emptied when full.
const MAX_SHAPES: usize = 1024;

static STATEMENTS: LazyLock<RwLock<foldhash::HashMap<Shape, Arc<str>>>> =
    LazyLock::new(|| RwLock::new(foldhash::HashMap::default()));

/// Whether `M` has a column to insert (a model with only an auto primary key inserts
/// `DEFAULT VALUES`, which the sea-query path writes).
pub(crate) fn has_columns<M: Model>(skip_pk: bool) -> bool {
    M::meta().fields.iter().any(|f| !(f.primary_key && skip_pk))
}

/// The INSERT of `rows` rows of `M`, without the primary key column if `skip_pk`, with
/// `RETURNING` the primary key if `returning`.
pub(crate) fn sql<M: Model>(
    backend: Backend,
    skip_pk: bool,
    rows: usize,
    returning: bool,
) -> Arc<str> {
    let shape = Shape {
        model: TypeId::of::<M>(),
        backend,
        skip_pk,
        rows,
        returning,
    };
    if let Some(sql) = STATEMENTS.read().ok().and_then(|m| m.get(&shape).cloned()) {
        return sql;
    }
    let sql: Arc<str> = write::<M>(backend, skip_pk, rows, returning).into();
    if let Ok(mut map) = STATEMENTS.write() {
        if map.len() >= MAX_SHAPES {
            map.clear();
        }
        map.insert(shape, sql.clone());
    }
    sql
}

fn write<M: Model>(backend: Backend, skip_pk: bool, rows: usize, returning: bool) -> String {
    let meta = M::meta();
    let columns: Vec<&str> = meta
        .fields
        .iter()
        .filter(|f| !(f.primary_key && skip_pk))
        .map(|f| f.column.as_str())
        .collect();
    let mut sql = String::with_capacity(64 + columns.len() * (16 + 4 * rows));
    sql.push_str("INSERT INTO ");
    sql.push_str(&backend.quote(&meta.table));
    sql.push_str(" (");
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&backend.quote(c));
    }
    sql.push_str(") VALUES ");
    let mut n = 0;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for i in 0..columns.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            n += 1;
            if backend == Backend::Postgres {
                let _ = write!(sql, "${n}");
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    if returning {
        sql.push_str(" RETURNING ");
        sql.push_str(&backend.quote(&meta.pk().column));
    }
    sql
}

/// The bound values of `objs`, row after row, in the statement's column order.
pub(crate) fn values<M: Model>(objs: &[M], skip_pk: bool) -> Values {
    let meta = M::meta();
    let pk = meta.fields.iter().position(|f| f.primary_key);
    let skip = if skip_pk { pk } else { None };
    let mut values: Vec<Value> = Vec::with_capacity(objs.len() * meta.fields.len());
    for obj in objs {
        let row = obj.column_values();
        values.extend(
            row.into_iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != skip)
                .map(|(_, v)| v),
        );
    }
    Values(values)
}
