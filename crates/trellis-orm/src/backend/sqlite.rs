//! SQLite: the embedded default (a file next to the project, WAL mode, foreign keys on).

use crate::backend::Features;
use crate::field::FieldKind;

/// SQLite's capabilities.
pub const FEATURES: Features = Features {
    can_return_rows_from_insert: true,
    supports_savepoints: true,
    supports_transactional_ddl: true,
    has_ilike: false,
    like_is_case_insensitive: true,
    max_query_params: 32766,
    can_alter_column: false,
};

/// The column type SQLite's DDL uses for a field kind (declared types as Django writes
/// them; SQLite derives the storage affinity from them).
pub fn column_type(kind: &FieldKind) -> String {
    match kind {
        FieldKind::BigAuto => "integer".into(),
        FieldKind::Bool => "bool".into(),
        FieldKind::SmallInt => "smallint".into(),
        FieldKind::Int => "integer".into(),
        FieldKind::BigInt | FieldKind::ForeignKey(_) => "bigint".into(),
        FieldKind::Float => "real".into(),
        FieldKind::Double => "real".into(),
        FieldKind::Decimal {
            max_digits,
            decimal_places,
        } => {
            format!("decimal({max_digits}, {decimal_places})")
        }
        FieldKind::Char { max_length } => format!("varchar({max_length})"),
        FieldKind::Text => "text".into(),
        FieldKind::Date => "date".into(),
        FieldKind::DateTime => "datetime".into(),
        FieldKind::Time => "time".into(),
        FieldKind::Uuid => "uuid".into(),
        FieldKind::Json => "text".into(),
        FieldKind::Bytes => "blob".into(),
    }
}
