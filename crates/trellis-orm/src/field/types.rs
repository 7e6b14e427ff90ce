//! [`FieldType`]: the Rust types a model field may have, with their column kind, their
//! bound-parameter value and their decoding from each backend's rows.

use sea_query::Value;

use crate::backend::Row;
use crate::error::{Error, Result};
use crate::field::FieldKind;

/// A Rust type that can be a model field.
///
/// Implemented for `bool`, `i16`, `i32`, `i64`, `f32`, `f64`, `String`, `Vec<u8>`,
/// [`rust_decimal::Decimal`], `chrono::{NaiveDate, NaiveTime, DateTime<Utc>}`, `uuid::Uuid`,
/// `serde_json::Value`, `Option<T>` of those (a nullable column), and enums deriving
/// [`Choices`](macro@crate::Choices).
pub trait FieldType: Sized + Send + Sync + 'static {
    /// The non-null type lookups compare with (`T` for `Option<T>`).
    type Base: FieldType;
    /// Whether the column is nullable.
    const NULLABLE: bool = false;
    /// The column kind of this type when the field has no options.
    fn kind() -> FieldKind;
    /// The value to bind as a query parameter.
    fn to_value(&self) -> Value;
    /// A typed NULL of this type.
    fn null_value() -> Value;
    /// Read the column at `idx` of `row`.
    fn decode(row: &Row, idx: usize) -> Result<Self>;
    /// The value a deferred (not loaded) field holds.
    fn placeholder() -> Self;
    /// The allowed values of an enum field, `(stored, label)`.
    fn choices() -> Vec<(String, String)> {
        Vec::new()
    }
    /// This type from an auto-increment id (integer keys only).
    fn from_auto_id(_id: i64) -> Option<Self> {
        None
    }
}

fn decode_error(row: &Row, idx: usize, err: impl std::fmt::Display) -> Error {
    Error::Decode {
        column: row.column_name(idx),
        message: err.to_string(),
    }
}

macro_rules! native {
    ($($ty:ty => $kind:expr, $variant:ident $(, $auto:ident)?;)*) => {$(
        impl FieldType for $ty {
            type Base = $ty;
            $(
            fn $auto(id: i64) -> Option<Self> {
                <$ty>::try_from(id).ok()
            }
            )?
            fn kind() -> FieldKind {
                $kind
            }
            fn to_value(&self) -> Value {
                Value::from(self.clone())
            }
            fn null_value() -> Value {
                Value::$variant(None)
            }
            fn decode(row: &Row, idx: usize) -> Result<Self> {
                use sqlx::Row as _;
                match row {
                    Row::Sqlite(r) => r.get::<$ty>(idx).map_err(|e| decode_error(row, idx, e)),
                    Row::Postgres(r) => r.try_get::<_, $ty>(idx).map_err(|e| decode_error(row, idx, e)),
                    Row::MySql(r) => r.try_get::<$ty, _>(idx).map_err(|e| decode_error(row, idx, e)),
                }
            }
            fn placeholder() -> Self {
                <$ty>::default()
            }
        }
    )*};
}

native! {
    i16 => FieldKind::SmallInt, SmallInt, from_auto_id;
    i32 => FieldKind::Int, Int, from_auto_id;
    i64 => FieldKind::BigInt, BigInt, from_auto_id;
    f32 => FieldKind::Float, Float;
    f64 => FieldKind::Double, Double;
    String => FieldKind::Text, String;
    Vec<u8> => FieldKind::Bytes, Bytes;
    chrono::NaiveDate => FieldKind::Date, ChronoDate;
    chrono::NaiveTime => FieldKind::Time, ChronoTime;
    uuid::Uuid => FieldKind::Uuid, Uuid;
}

impl FieldType for bool {
    type Base = bool;
    fn kind() -> FieldKind {
        FieldKind::Bool
    }
    fn to_value(&self) -> Value {
        Value::Bool(Some(*self))
    }
    fn null_value() -> Value {
        Value::Bool(None)
    }
    fn decode(row: &Row, idx: usize) -> Result<Self> {
        use sqlx::Row as _;
        match row {
            Row::Sqlite(r) => return r.get::<bool>(idx).map_err(|e| decode_error(row, idx, e)),
            Row::Postgres(r) => {
                return r
                    .try_get::<_, bool>(idx)
                    .map_err(|e| decode_error(row, idx, e));
            }
            // MySQL/MariaDB report BOOL columns as TINYINT; expressions as BIGINT.
            Row::MySql(r) => r
                .try_get::<bool, _>(idx)
                .or_else(|_| r.try_get::<i64, _>(idx).map(|v| v != 0)),
        }
        .map_err(|e| decode_error(row, idx, e))
    }
    fn placeholder() -> Self {
        false
    }
}

impl FieldType for chrono::DateTime<chrono::Utc> {
    type Base = Self;
    fn kind() -> FieldKind {
        FieldKind::DateTime
    }
    fn to_value(&self) -> Value {
        Value::ChronoDateTimeUtc(Some(*self))
    }
    fn null_value() -> Value {
        Value::ChronoDateTimeUtc(None)
    }
    fn decode(row: &Row, idx: usize) -> Result<Self> {
        use sqlx::Row as _;
        match row {
            Row::Sqlite(r) => return r.get::<Self>(idx).map_err(|e| decode_error(row, idx, e)),
            // `timestamp with time zone`; a `timestamp` column is read as UTC.
            Row::Postgres(r) => {
                return r
                    .try_get::<_, Self>(idx)
                    .or_else(|e| {
                        r.try_get::<_, chrono::NaiveDateTime>(idx)
                            .map(|n| n.and_utc())
                            .map_err(|_| e)
                    })
                    .map_err(|e| decode_error(row, idx, e));
            }
            Row::MySql(r) => r.try_get::<Self, _>(idx).or_else(|_| {
                r.try_get::<chrono::NaiveDateTime, _>(idx)
                    .map(|n| n.and_utc())
            }),
        }
        .map_err(|e| decode_error(row, idx, e))
    }
    fn placeholder() -> Self {
        chrono::DateTime::<chrono::Utc>::UNIX_EPOCH
    }
}

/// Decimals are exact on PostgreSQL and MySQL/MariaDB (`numeric(max_digits,
/// decimal_places)`). SQLite has no decimal type: the column has NUMERIC affinity, so a value
/// with at most 15 significant digits is stored as a 64-bit float (and read back rounded
/// to them), a longer one as text (exact). Django on SQLite has the same limitation.
impl FieldType for rust_decimal::Decimal {
    type Base = Self;
    fn kind() -> FieldKind {
        FieldKind::Decimal {
            max_digits: 20,
            decimal_places: 6,
        }
    }
    fn to_value(&self) -> Value {
        Value::Decimal(Some(*self))
    }
    fn null_value() -> Value {
        Value::Decimal(None)
    }
    fn decode(row: &Row, idx: usize) -> Result<Self> {
        use sqlx::Row as _;
        match row {
            // SQLite has no decimal type: NUMERIC columns hand back integers, reals or text.
            Row::Sqlite(r) => {
                if let Ok(s) = r.get::<String>(idx) {
                    s.parse().map_err(|e| decode_error(row, idx, e))
                } else if let Ok(i) = r.get::<i64>(idx) {
                    Ok(rust_decimal::Decimal::from(i))
                } else {
                    let f = r.get::<f64>(idx).map_err(|e| decode_error(row, idx, e))?;
                    f.to_string().parse().map_err(|e| decode_error(row, idx, e))
                }
            }
            Row::Postgres(r) => r
                .try_get::<_, Self>(idx)
                .map_err(|e| decode_error(row, idx, e)),
            Row::MySql(r) => r
                .try_get::<Self, _>(idx)
                .map_err(|e| decode_error(row, idx, e)),
        }
    }
    fn placeholder() -> Self {
        rust_decimal::Decimal::ZERO
    }
}

impl FieldType for serde_json::Value {
    type Base = Self;
    fn kind() -> FieldKind {
        FieldKind::Json
    }
    fn to_value(&self) -> Value {
        Value::Json(Some(Box::new(self.clone())))
    }
    fn null_value() -> Value {
        Value::Json(None)
    }
    fn decode(row: &Row, idx: usize) -> Result<Self> {
        use sqlx::Row as _;
        match row {
            Row::Sqlite(r) => return r.get::<Self>(idx).map_err(|e| decode_error(row, idx, e)),
            Row::Postgres(r) => {
                return r
                    .try_get::<_, Self>(idx)
                    .map_err(|e| decode_error(row, idx, e));
            }
            // MariaDB's JSON is LONGTEXT: read the text and parse it.
            Row::MySql(r) => r.try_get::<Self, _>(idx).or_else(|_| {
                let s = r.try_get::<String, _>(idx)?;
                serde_json::from_str(&s).map_err(|e| sqlx::Error::Decode(Box::new(e)))
            }),
        }
        .map_err(|e| decode_error(row, idx, e))
    }
    fn placeholder() -> Self {
        serde_json::Value::Null
    }
}

impl<T: FieldType<Base = T>> FieldType for Option<T> {
    type Base = T;
    const NULLABLE: bool = true;
    fn kind() -> FieldKind {
        T::kind()
    }
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => T::null_value(),
        }
    }
    fn null_value() -> Value {
        T::null_value()
    }
    fn decode(row: &Row, idx: usize) -> Result<Self> {
        if row.is_null(idx) {
            Ok(None)
        } else {
            T::decode(row, idx).map(Some)
        }
    }
    fn placeholder() -> Self {
        None
    }
    fn choices() -> Vec<(String, String)> {
        T::choices()
    }
}

/// An enum stored as a short string, with labels (Django's `choices`). Derive it with
/// `#[derive(Choices)]`; every variant is a field value.
pub trait Choices: Sized + Send + Sync + Copy + 'static {
    /// Every variant with its stored value and label.
    const ALL: &'static [(Self, &'static str, &'static str)];

    /// The stored value of this variant.
    fn as_str(&self) -> &'static str;

    /// The variant stored as `value`.
    fn from_str_value(value: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, v, _)| *v == value)
            .map(|(c, _, _)| *c)
    }

    /// The longest stored value (the column's `max_length`).
    fn max_length() -> u32 {
        Self::ALL
            .iter()
            .map(|(_, v, _)| v.chars().count() as u32)
            .max()
            .unwrap_or(1)
    }
}

/// Implements [`FieldType`] for a [`Choices`] enum (used by `#[derive(Choices)]`).
#[doc(hidden)]
pub fn choices_decode<C: Choices>(row: &Row, idx: usize) -> Result<C> {
    let s = String::decode(row, idx)?;
    C::from_str_value(&s).ok_or_else(|| Error::Decode {
        column: row.column_name(idx),
        message: format!("{s:?} is not one of the field's choices"),
    })
}
