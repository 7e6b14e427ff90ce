//! The UPDATE statements of `bulk_update()`, written directly.
//!
//! A bulk update has a fixed shape per model, backend, list of fields and number of rows:
//!
//! ```sql
//! UPDATE "t" SET "a" = CASE "id" WHEN ? THEN ? WHEN ? THEN ? ELSE "a" END,
//!                "b" = CASE "id" WHEN ? THEN ? WHEN ? THEN ? ELSE "b" END
//! WHERE "id" IN (?, ?)
//! ```
//!
//! Its text is written once per shape and kept (identifiers quoted by
//! [`Backend::quote`], every value a placeholder); a call only collects the values to
//! bind, in the order of the placeholders. Building it with sea-query cost more than
//! running the statement on SQLite. (`CASE "id" WHEN ?` compares as `"id" = ?` does, on
//! every backend.)

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
    /// Indexes into `ModelMeta::fields`, in SET order.
    fields: Vec<usize>,
    rows: usize,
}

/// Statements kept at most (one per model, field list and batch size in practice);
/// emptied when full.
const MAX_SHAPES: usize = 1024;

static STATEMENTS: LazyLock<RwLock<foldhash::HashMap<Shape, Arc<str>>>> =
    LazyLock::new(|| RwLock::new(foldhash::HashMap::default()));

/// The UPDATE of `rows` rows of `M` setting the fields at `fields` (indexes into
/// `M::meta().fields`, none of them the primary key); returns `fields` back.
pub(crate) fn sql<M: Model>(
    backend: Backend,
    fields: Vec<usize>,
    rows: usize,
) -> (Arc<str>, Vec<usize>) {
    let shape = Shape {
        model: TypeId::of::<M>(),
        backend,
        fields,
        rows,
    };
    if let Some(sql) = STATEMENTS.read().ok().and_then(|m| m.get(&shape).cloned()) {
        return (sql, shape.fields);
    }
    let sql: Arc<str> = write::<M>(backend, &shape.fields, rows).into();
    let fields = shape.fields.clone();
    if let Ok(mut map) = STATEMENTS.write() {
        if map.len() >= MAX_SHAPES {
            map.clear();
        }
        map.insert(shape, sql.clone());
    }
    (sql, fields)
}

fn write<M: Model>(backend: Backend, fields: &[usize], rows: usize) -> String {
    let meta = M::meta();
    let pk = backend.quote(&meta.pk().column);
    let mut sql = String::with_capacity(32 + fields.len() * (40 + 16 * rows) + 4 * rows);
    let mut n = 0;
    let mut param = |sql: &mut String| {
        n += 1;
        if backend == Backend::Postgres {
            let _ = write!(sql, "${n}");
        } else {
            sql.push('?');
        }
    };
    sql.push_str("UPDATE ");
    sql.push_str(&backend.quote(&meta.table));
    sql.push_str(" SET ");
    for (i, &idx) in fields.iter().enumerate() {
        let column = backend.quote(&meta.fields[idx].column);
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&column);
        sql.push_str(" = CASE ");
        sql.push_str(&pk);
        for _ in 0..rows {
            sql.push_str(" WHEN ");
            param(&mut sql);
            sql.push_str(" THEN ");
            param(&mut sql);
        }
        sql.push_str(" ELSE ");
        sql.push_str(&column);
        sql.push_str(" END");
    }
    sql.push_str(" WHERE ");
    sql.push_str(&pk);
    sql.push_str(" IN (");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        param(&mut sql);
    }
    sql.push(')');
    sql
}

/// The bound values of the statement [`sql`] writes for `objs` and `fields` (no index
/// twice): per field, each object's primary key and value; then every object's primary
/// key.
pub(crate) fn values<M: Model>(objs: &[M], fields: &[usize]) -> Values {
    let pk = M::meta()
        .fields
        .iter()
        .position(|f| f.primary_key)
        .expect("a model has a primary key");
    let mut rows: Vec<Vec<Value>> = objs.iter().map(Model::column_values).collect();
    let mut values = Vec::with_capacity(rows.len() * (2 * fields.len() + 1));
    for &idx in fields {
        for row in &mut rows {
            values.push(row[pk].clone());
            // Each field is set once (the list has no repeats): moved, not cloned.
            values.push(std::mem::replace(&mut row[idx], Value::Bool(None)));
        }
    }
    values.extend(rows.into_iter().map(|mut row| row.swap_remove(pk)));
    Values(values)
}

/// Whether a statement written here binds `v` as sea-query would: PostgreSQL enum values
/// get a type cast in sea-query's SQL, which the cached text does not have.
pub(crate) fn binds_plainly(backend: Backend, v: &Value) -> bool {
    backend != Backend::Postgres || !matches!(v, Value::Enum(_))
}
