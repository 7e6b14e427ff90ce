//! One result row, whatever the backend.

use sqlx::{Column as _, Row as _, ValueRef as _};

use crate::field::{FieldKind, FieldMeta, FieldType};

/// A row read from the database. Model code reads columns by position with
/// [`FieldType::decode`](crate::FieldType::decode).
#[derive(Debug)]
pub enum Row {
    /// A SQLite row.
    Sqlite(crate::backend::LiteRow),
    /// A PostgreSQL row (tokio-postgres).
    Postgres(tokio_postgres::Row),
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
            Row::Sqlite(r) => r.column_name(idx).map(str::to_string),
            Row::Postgres(r) => r.columns().get(idx).map(|c| c.name().to_string()),
            Row::MySql(r) => r.columns().get(idx).map(|c| c.name().to_string()),
        };
        name.unwrap_or_else(|| format!("#{idx}"))
    }

    /// Whether column `idx` is NULL (or missing).
    pub fn is_null(&self, idx: usize) -> bool {
        match self {
            Row::Sqlite(r) => r
                .value(idx)
                .is_none_or(|v| *v == rusqlite::types::Value::Null),
            Row::Postgres(r) => r
                .try_get::<_, Option<crate::backend::pg::AnyValue>>(idx)
                .map_or(true, |v| v.is_none()),
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
            Row::Sqlite(r) => {
                use rusqlite::types::Value as V;
                match r.value(idx) {
                    Some(V::Integer(i)) => J::from(*i),
                    Some(V::Real(f)) => J::from(*f),
                    Some(V::Text(t)) => J::String(t.clone()),
                    Some(V::Blob(b)) => J::from(b.clone()),
                    Some(V::Null) | None => J::Null,
                }
            }
            Row::Postgres(r) => pg_json(r, idx),
            Row::MySql(r) => {
                if let Ok(v) = r.try_get::<rust_decimal::Decimal, _>(idx) {
                    return decimal_json(v);
                }
                // BIGINT UNSIGNED (`CONNECTION_ID()`, `LAST_INSERT_ID()`): sqlx would
                // otherwise read it as a bool.
                if let Ok(v) = r.try_get::<u64, _>(idx) {
                    return J::from(v);
                }
                try_types!(r)
            }
        }
    }
}

/// A PostgreSQL column as JSON, by the type the server reports.
fn pg_json(r: &tokio_postgres::Row, idx: usize) -> serde_json::Value {
    use serde_json::Value as J;
    use tokio_postgres::types::Type;
    macro_rules! get {
        ($t:ty) => {
            r.try_get::<_, Option<$t>>(idx).ok().flatten()
        };
    }
    let Some(column) = r.columns().get(idx) else {
        return J::Null;
    };
    let ty = column.type_();
    let v = if *ty == Type::INT8 {
        get!(i64).map(J::from)
    } else if *ty == Type::INT4 {
        get!(i32).map(J::from)
    } else if *ty == Type::INT2 {
        get!(i16).map(J::from)
    } else if *ty == Type::OID {
        get!(u32).map(J::from)
    } else if *ty == Type::BOOL {
        get!(bool).map(J::from)
    } else if *ty == Type::FLOAT8 {
        get!(f64).map(J::from)
    } else if *ty == Type::FLOAT4 {
        get!(f32).map(J::from)
    } else if *ty == Type::NUMERIC {
        // NUMERIC (and SUM/AVG of integers) come back as decimals.
        get!(rust_decimal::Decimal).map(decimal_json)
    } else if *ty == Type::TIMESTAMPTZ {
        get!(chrono::DateTime<chrono::Utc>).map(|v| J::String(v.to_rfc3339()))
    } else if *ty == Type::TIMESTAMP {
        get!(chrono::NaiveDateTime).map(|v| J::String(v.to_string()))
    } else if *ty == Type::DATE {
        get!(chrono::NaiveDate).map(|v| J::String(v.to_string()))
    } else if *ty == Type::TIME {
        get!(chrono::NaiveTime).map(|v| J::String(v.to_string()))
    } else if *ty == Type::UUID {
        get!(uuid::Uuid).map(|v| J::String(v.to_string()))
    } else if *ty == Type::JSON || *ty == Type::JSONB {
        get!(serde_json::Value)
    } else if *ty == Type::BYTEA {
        get!(Vec<u8>).map(J::from)
    } else {
        get!(String).map(J::String)
    };
    v.unwrap_or(J::Null)
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

/// How to read a column as JSON when the ORM knows what it holds (`values()`,
/// aggregates): the same JSON on every backend, whatever type the driver reports.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum JsonAs {
    /// A field of this kind (a foreign key: the kind of the target's primary key).
    Field(FieldKind),
    /// An integer (`COUNT`).
    Int,
    /// A float (`AVG`).
    Float,
    /// `SUM` over a field of this kind: an integer, a float or a decimal.
    Sum(FieldKind),
}

impl JsonAs {
    /// How a field's values read: a foreign key reads as the target's primary key.
    pub(crate) fn field(field: &FieldMeta) -> JsonAs {
        JsonAs::Field(value_kind(field))
    }
}

/// The kind of the values a field holds (a foreign key holds the target's primary key).
pub(crate) fn value_kind(field: &FieldMeta) -> FieldKind {
    match (&field.kind, field.related) {
        (FieldKind::ForeignKey(_), Some(rel)) => match &rel.meta().pk().kind {
            FieldKind::BigAuto => FieldKind::BigInt,
            other => other.clone(),
        },
        (FieldKind::ForeignKey(_), None) | (FieldKind::BigAuto, _) => FieldKind::BigInt,
        (other, _) => other.clone(),
    }
}

impl Row {
    /// Column `idx` as JSON, read as `how` says (falls back to [`json`](Self::json)).
    /// Decimals are strings with the field's decimal places (exact); dates, times and
    /// UUIDs are ISO strings; date-times RFC 3339 in UTC.
    pub(crate) fn json_as(&self, idx: usize, how: &JsonAs) -> serde_json::Value {
        use serde_json::Value as J;
        if self.is_null(idx) {
            return J::Null;
        }
        let typed = match how {
            JsonAs::Field(kind) => self.field_json(idx, kind),
            JsonAs::Int => self.int(idx).map(J::from),
            JsonAs::Float => self.float(idx).map(J::from),
            JsonAs::Sum(kind) => match kind {
                FieldKind::Float | FieldKind::Double => self.float(idx).map(J::from),
                FieldKind::Decimal { decimal_places, .. } => self
                    .decimal(idx)
                    .map(|d| J::String(scaled(d, *decimal_places))),
                _ => self.int(idx).map(J::from),
            },
        };
        typed.unwrap_or_else(|| self.json(idx))
    }

    fn field_json(&self, idx: usize, kind: &FieldKind) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        Some(match kind {
            FieldKind::Bool => J::Bool(bool::decode(self, idx).ok()?),
            FieldKind::SmallInt
            | FieldKind::Int
            | FieldKind::BigInt
            | FieldKind::BigAuto
            | FieldKind::ForeignKey(_) => J::from(self.int(idx)?),
            FieldKind::Float | FieldKind::Double => J::from(self.float(idx)?),
            FieldKind::Decimal { decimal_places, .. } => {
                J::String(scaled(self.decimal(idx)?, *decimal_places))
            }
            FieldKind::Char { .. } | FieldKind::Text => J::String(String::decode(self, idx).ok()?),
            FieldKind::Date => J::String(chrono::NaiveDate::decode(self, idx).ok()?.to_string()),
            FieldKind::DateTime => J::String(
                chrono::DateTime::<chrono::Utc>::decode(self, idx)
                    .ok()?
                    .to_rfc3339(),
            ),
            FieldKind::Time => J::String(chrono::NaiveTime::decode(self, idx).ok()?.to_string()),
            FieldKind::Uuid => J::String(uuid::Uuid::decode(self, idx).ok()?.to_string()),
            FieldKind::Json => serde_json::Value::decode(self, idx).ok()?,
            FieldKind::Bytes => J::from(Vec::<u8>::decode(self, idx).ok()?),
        })
    }

    /// An integer, whatever integer or numeric type the column has.
    fn int(&self, idx: usize) -> Option<i64> {
        use rust_decimal::prelude::ToPrimitive;
        macro_rules! ints {
            ($r:expr) => {
                $r.try_get::<i64, _>(idx)
                    .or_else(|_| $r.try_get::<i32, _>(idx).map(i64::from))
                    .or_else(|_| $r.try_get::<i16, _>(idx).map(i64::from))
                    .ok()
            };
        }
        let direct = match self {
            Row::Sqlite(r) => r.get::<i64>(idx).ok(),
            Row::Postgres(r) => r
                .try_get::<_, i64>(idx)
                .or_else(|_| r.try_get::<_, i32>(idx).map(i64::from))
                .or_else(|_| r.try_get::<_, i16>(idx).map(i64::from))
                .ok(),
            Row::MySql(r) => ints!(r),
        };
        direct.or_else(|| self.decimal(idx).and_then(|d| d.round().to_i64()))
    }

    /// A float, whatever numeric type the column has.
    fn float(&self, idx: usize) -> Option<f64> {
        use rust_decimal::prelude::ToPrimitive;
        macro_rules! floats {
            ($r:expr) => {
                $r.try_get::<f64, _>(idx)
                    .or_else(|_| $r.try_get::<f32, _>(idx).map(f64::from))
                    .ok()
            };
        }
        let direct = match self {
            Row::Sqlite(r) => r.get::<f64>(idx).ok(),
            Row::Postgres(r) => r
                .try_get::<_, f64>(idx)
                .or_else(|_| r.try_get::<_, f32>(idx).map(f64::from))
                .ok(),
            Row::MySql(r) => floats!(r),
        };
        direct
            .or_else(|| self.decimal(idx).and_then(|d| d.to_f64()))
            .or_else(|| self.int(idx).map(|i| i as f64))
    }

    /// A decimal, from a NUMERIC/DECIMAL column, an integer, a float or text.
    fn decimal(&self, idx: usize) -> Option<rust_decimal::Decimal> {
        rust_decimal::Decimal::decode(self, idx).ok().or_else(|| {
            let i = match self {
                Row::Sqlite(r) => r.get::<i64>(idx).ok(),
                Row::Postgres(r) => r.try_get::<_, i64>(idx).ok(),
                Row::MySql(r) => r.try_get::<i64, _>(idx).ok(),
            };
            i.map(rust_decimal::Decimal::from)
        })
    }
}

/// A decimal as text with exactly `places` decimal places.
fn scaled(mut d: rust_decimal::Decimal, places: u32) -> String {
    d.rescale(places);
    d.to_string()
}
