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
//! bind. Building it with sea-query cost more than running the statement on SQLite.
//! (`CASE "id" WHEN ?` compares as `"id" = ?` does, on every backend.)
//!
//! SQLite and PostgreSQL number their placeholders (`?1`, `$1`), so each primary key is
//! bound once and named again where it recurs: the keys of the rows first, then each
//! field's values. MySQL binds in order of appearance: per field, each row's key and
//! value; then the keys again for `IN`.

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

/// Whether `backend` numbers its placeholders (a value bound once can be used twice).
fn numbered(backend: Backend) -> bool {
    backend != Backend::MySql
}

fn write<M: Model>(backend: Backend, fields: &[usize], rows: usize) -> String {
    let meta = M::meta();
    let pk = backend.quote(&meta.pk().column);
    let mut sql = String::with_capacity(32 + fields.len() * (40 + 16 * rows) + 8 * rows);
    // Placeholder `n` (from 1): `?n`, `$n`, or `?` where the order of appearance counts.
    let param = |sql: &mut String, n: usize| {
        let _ = match backend {
            Backend::Sqlite => write!(sql, "?{n}"),
            Backend::Postgres => write!(sql, "${n}"),
            Backend::MySql => write!(sql, "?"),
        };
    };
    // Numbered: keys are 1..=rows, field f's values follow (rows + f * rows + 1 ...).
    let value_param = |f: usize, r: usize| rows + f * rows + r + 1;
    sql.push_str("UPDATE ");
    sql.push_str(&backend.quote(&meta.table));
    sql.push_str(" SET ");
    for (f, &idx) in fields.iter().enumerate() {
        let column = backend.quote(&meta.fields[idx].column);
        if f > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&column);
        sql.push_str(" = CASE ");
        sql.push_str(&pk);
        for r in 0..rows {
            sql.push_str(" WHEN ");
            param(&mut sql, r + 1);
            sql.push_str(" THEN ");
            param(&mut sql, value_param(f, r));
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
        param(&mut sql, r + 1);
    }
    sql.push(')');
    sql
}

/// The bound values of the statement [`sql`] writes on `backend` for `objs` and `fields`:
/// numbered, every object's primary key, then per field each object's value; else per
/// field each object's primary key and value, then every object's primary key.
pub(crate) fn values<M: Model>(backend: Backend, objs: &[M], fields: &[usize]) -> Values {
    let pk = M::meta()
        .fields
        .iter()
        .position(|f| f.primary_key)
        .expect("a model has a primary key");
    let value = |obj: &M, idx: usize| {
        obj.column_value(idx)
            .expect("field indexes come from the model's metadata")
    };
    if numbered(backend) {
        let mut values = Vec::with_capacity(objs.len() * (fields.len() + 1));
        values.extend(objs.iter().map(|o| value(o, pk)));
        for &idx in fields {
            values.extend(objs.iter().map(|o| value(o, idx)));
        }
        return Values(values);
    }
    let mut values = Vec::with_capacity(objs.len() * (2 * fields.len() + 1));
    for &idx in fields {
        for obj in objs {
            values.push(value(obj, pk));
            values.push(value(obj, idx));
        }
    }
    values.extend(objs.iter().map(|o| value(o, pk)));
    Values(values)
}

/// Whether a statement written here binds `v` as sea-query would: PostgreSQL enum values
/// get a type cast in sea-query's SQL, which the cached text does not have.
pub(crate) fn binds_plainly(backend: Backend, v: &Value) -> bool {
    backend != Backend::Postgres || !matches!(v, Value::Enum(_))
}
