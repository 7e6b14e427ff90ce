//! MySQL and MariaDB.

use crate::backend::Features;
use crate::field::FieldKind;

/// MySQL's capabilities (MariaDB alike; RETURNING is not used because MySQL lacks it).
pub const FEATURES: Features = Features {
    can_return_rows_from_insert: false,
    supports_savepoints: true,
    supports_transactional_ddl: false,
    has_ilike: false,
    like_is_case_insensitive: true,
    max_query_params: 65535,
    can_alter_column: true,
};

/// The column type MySQL's DDL uses for a field kind.
pub fn column_type(kind: &FieldKind) -> String {
    match kind {
        FieldKind::BigAuto => "bigint AUTO_INCREMENT".into(),
        FieldKind::Bool => "bool".into(),
        FieldKind::SmallInt => "smallint".into(),
        FieldKind::Int => "integer".into(),
        FieldKind::BigInt | FieldKind::ForeignKey(_) => "bigint".into(),
        FieldKind::Float => "float".into(),
        FieldKind::Double => "double precision".into(),
        FieldKind::Decimal {
            max_digits,
            decimal_places,
        } => {
            format!("numeric({max_digits}, {decimal_places})")
        }
        FieldKind::Char { max_length } => format!("varchar({max_length})"),
        FieldKind::Text => "longtext".into(),
        FieldKind::Date => "date".into(),
        FieldKind::DateTime => "datetime(6)".into(),
        FieldKind::Time => "time(6)".into(),
        FieldKind::Uuid => "binary(16)".into(),
        FieldKind::Json => "json".into(),
        FieldKind::Bytes => "longblob".into(),
    }
}
