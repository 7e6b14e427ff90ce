//! One result row, whatever the backend.

use sqlx::{Column as _, Row as _, ValueRef as _};

/// A row read from the database. Model code reads columns by position with
/// [`FieldType::decode`](crate::FieldType::decode).
#[derive(Debug)]
pub enum Row {
    /// A SQLite row.
    Sqlite(sqlx::sqlite::SqliteRow),
    /// A PostgreSQL row.
    Postgres(sqlx::postgres::PgRow),
    /// A MySQL/MariaDB row.
    MySql(sqlx::mysql::MySqlRow),
}

impl Row {
    /// The number of columns.
    pub fn len(&self) -> usize {
        match self {
            Row::Sqlite(r) => r.len(),
            Row::Postgres(r) => r.len(),
            Row::MySql(r) => r.len(),
        }
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name of column `idx` (for error messages).
    pub fn column_name(&self, idx: usize) -> String {
        let name = match self {
            Row::Sqlite(r) => r.columns().get(idx).map(|c| c.name().to_string()),
            Row::Postgres(r) => r.columns().get(idx).map(|c| c.name().to_string()),
            Row::MySql(r) => r.columns().get(idx).map(|c| c.name().to_string()),
        };
        name.unwrap_or_else(|| format!("#{idx}"))
    }

    /// Whether column `idx` is NULL (or missing).
    pub fn is_null(&self, idx: usize) -> bool {
        match self {
            Row::Sqlite(r) => r.try_get_raw(idx).map(|v| v.is_null()).unwrap_or(true),
            Row::Postgres(r) => r.try_get_raw(idx).map(|v| v.is_null()).unwrap_or(true),
            Row::MySql(r) => r.try_get_raw(idx).map(|v| v.is_null()).unwrap_or(true),
        }
    }

    /// Column `idx` as a JSON value, whatever its SQL type (used by `values()` and
    /// aggregates, where no Rust field type is known).
    pub fn json(&self, idx: usize) -> serde_json::Value {
        use serde_json::Value as J;
        if self.is_null(idx) {
            return J::Null;
        }
        macro_rules! try_types {
            ($r:expr) => {{
                if let Ok(v) = $r.try_get::<i64, _>(idx) {
                    return J::from(v);
                }
                if let Ok(v) = $r.try_get::<i32, _>(idx) {
                    return J::from(v);
                }
                if let Ok(v) = $r.try_get::<i16, _>(idx) {
                    return J::from(v);
                }
                if let Ok(v) = $r.try_get::<bool, _>(idx) {
                    return J::from(v);
                }
                if let Ok(v) = $r.try_get::<f64, _>(idx) {
                    return J::from(v);
                }
                if let Ok(v) = $r.try_get::<f32, _>(idx) {
                    return J::from(v);
                }
                if let Ok(v) = $r.try_get::<chrono::DateTime<chrono::Utc>, _>(idx) {
                    return J::String(v.to_rfc3339());
                }
                if let Ok(v) = $r.try_get::<chrono::NaiveDateTime, _>(idx) {
                    return J::String(v.to_string());
                }
                if let Ok(v) = $r.try_get::<chrono::NaiveDate, _>(idx) {
                    return J::String(v.to_string());
                }
                if let Ok(v) = $r.try_get::<chrono::NaiveTime, _>(idx) {
                    return J::String(v.to_string());
                }
                if let Ok(v) = $r.try_get::<uuid::Uuid, _>(idx) {
                    return J::String(v.to_string());
                }
                if let Ok(v) = $r.try_get::<serde_json::Value, _>(idx) {
                    return v;
                }
                if let Ok(v) = $r.try_get::<String, _>(idx) {
                    return J::String(v);
                }
                if let Ok(v) = $r.try_get::<Vec<u8>, _>(idx) {
                    return J::from(v);
                }
                J::Null
            }};
        }
        match self {
            Row::Sqlite(r) => try_types!(r),
            Row::Postgres(r) => {
                // NUMERIC (and SUM/AVG of integers) come back as decimals.
                if let Ok(v) = r.try_get::<rust_decimal::Decimal, _>(idx) {
                    return decimal_json(v);
                }
                try_types!(r)
            }
            Row::MySql(r) => {
                if let Ok(v) = r.try_get::<rust_decimal::Decimal, _>(idx) {
                    return decimal_json(v);
                }
                try_types!(r)
            }
        }
    }
}

/// A decimal as JSON: a number when it is whole or fits a float exactly enough, else text.
fn decimal_json(v: rust_decimal::Decimal) -> serde_json::Value {
    use rust_decimal::prelude::ToPrimitive;
    if v.fract().is_zero()
        && let Some(i) = v.to_i64()
    {
        return i.into();
    }
    v.to_f64()
        .map_or_else(|| serde_json::Value::String(v.to_string()), Into::into)
}
