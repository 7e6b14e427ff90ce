//! Fields: what a model's columns are ([`FieldMeta`], [`FieldKind`]) and how Rust values
//! travel to and from them ([`FieldType`]).
//!
//! Model metadata is plain data, available at run time: the admin, forms and the migrations
//! autodetector read it.

mod types;

#[doc(hidden)]
pub use types::choices_decode;
pub use types::{Choices, FieldType};

/// The storage kind of a field, independent of the database (each backend maps it to a
/// column type when it writes DDL).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    /// An auto-incrementing 64-bit primary key (Django's `BigAutoField`).
    BigAuto,
    /// A boolean.
    Bool,
    /// A 16-bit integer.
    SmallInt,
    /// A 32-bit integer.
    Int,
    /// A 64-bit integer.
    BigInt,
    /// A 32-bit float.
    Float,
    /// A 64-bit float.
    Double,
    /// A fixed-point decimal.
    Decimal {
        /// Total digits.
        max_digits: u32,
        /// Digits after the point.
        decimal_places: u32,
    },
    /// A string with a maximum length (`VARCHAR(n)`).
    Char {
        /// The maximum length in characters.
        max_length: u32,
    },
    /// Unbounded text.
    Text,
    /// A calendar date.
    Date,
    /// A date and time with time zone (stored in UTC).
    DateTime,
    /// A time of day.
    Time,
    /// A UUID.
    Uuid,
    /// A JSON document.
    Json,
    /// Raw bytes.
    Bytes,
    /// A foreign key: a column holding the primary key of another model.
    ForeignKey(Relation),
}

impl FieldKind {
    /// A short name for messages and migration files.
    pub fn name(&self) -> &'static str {
        match self {
            FieldKind::BigAuto => "BigAuto",
            FieldKind::Bool => "Bool",
            FieldKind::SmallInt => "SmallInt",
            FieldKind::Int => "Int",
            FieldKind::BigInt => "BigInt",
            FieldKind::Float => "Float",
            FieldKind::Double => "Double",
            FieldKind::Decimal { .. } => "Decimal",
            FieldKind::Char { .. } => "Char",
            FieldKind::Text => "Text",
            FieldKind::Date => "Date",
            FieldKind::DateTime => "DateTime",
            FieldKind::Time => "Time",
            FieldKind::Uuid => "Uuid",
            FieldKind::Json => "Json",
            FieldKind::Bytes => "Bytes",
            FieldKind::ForeignKey(_) => "ForeignKey",
        }
    }

    /// Whether values of this kind are strings (the `contains`-family lookups apply).
    pub fn is_text(&self) -> bool {
        matches!(self, FieldKind::Char { .. } | FieldKind::Text)
    }
}

/// What happens to rows pointing at a deleted row (Django's `on_delete`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// Delete the referencing rows too (with their signals).
    Cascade,
    /// Refuse the delete with [`crate::Error::Protected`].
    Protect,
    /// Refuse the delete; checked like `Protect` but also enforced by the database.
    Restrict,
    /// Set the foreign key to NULL (the field must be nullable).
    SetNull,
    /// Set the foreign key to the field's default.
    SetDefault,
    /// Do nothing in Trellis (the database's own constraint decides).
    DoNothing,
}

impl OnDelete {
    /// The variant's name (`"Cascade"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            OnDelete::Cascade => "Cascade",
            OnDelete::Protect => "Protect",
            OnDelete::Restrict => "Restrict",
            OnDelete::SetNull => "SetNull",
            OnDelete::SetDefault => "SetDefault",
            OnDelete::DoNothing => "DoNothing",
        }
    }
}

/// The target of a foreign key.
#[derive(Debug, Clone, PartialEq)]
pub struct Relation {
    /// `app_label.ModelName` of the target model.
    pub to: String,
    /// The target's table (the column refers to its primary key).
    pub to_table: String,
    /// The target's primary-key column.
    pub to_column: String,
    /// What happens when the target row is deleted.
    pub on_delete: OnDelete,
    /// The name of the reverse accessor on the target (`posts` for `Post.author`).
    pub related_name: Option<String>,
    /// One-to-one (the column is also unique).
    pub one_to_one: bool,
}

/// A default value for a field, as data (migrations write it; inserts use it).
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    /// A constant value.
    Value(sea_query::Value),
    /// The current time (for date/datetime fields).
    Now,
}

/// One field of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMeta {
    /// The Rust field name (used in lookups: `author__name`).
    pub name: &'static str,
    /// The column name (`author_id` for a foreign key `author`).
    pub column: String,
    /// The storage kind.
    pub kind: FieldKind,
    /// Whether NULL is allowed (`Option<T>` fields).
    pub null: bool,
    /// Whether this is the primary key.
    pub primary_key: bool,
    /// A UNIQUE constraint on this column.
    pub unique: bool,
    /// An index on this column.
    pub db_index: bool,
    /// The default, if any.
    pub default: Option<DefaultValue>,
    /// Set to now on every save.
    pub auto_now: bool,
    /// Set to now when the row is created.
    pub auto_now_add: bool,
    /// Allowed values (`(stored, label)`), for enum fields.
    pub choices: Vec<(String, String)>,
    /// A human-readable name (admin, forms).
    pub verbose_name: String,
    /// Help text (admin, forms).
    pub help_text: String,
    /// The related model, for foreign keys declared in code (absent in migration states).
    pub related: Option<crate::model::RelatedModel>,
}

impl FieldMeta {
    /// A field with the given name and kind and every option off.
    pub fn new(name: &'static str, kind: FieldKind) -> Self {
        let column = match kind {
            FieldKind::ForeignKey(_) => format!("{name}_id"),
            _ => name.to_string(),
        };
        FieldMeta {
            name,
            column,
            kind,
            null: false,
            primary_key: false,
            unique: false,
            db_index: false,
            default: None,
            auto_now: false,
            auto_now_add: false,
            choices: Vec::new(),
            verbose_name: name.replace('_', " "),
            help_text: String::new(),
            related: None,
        }
    }

    /// The relation, for foreign keys.
    pub fn relation(&self) -> Option<&Relation> {
        match &self.kind {
            FieldKind::ForeignKey(rel) => Some(rel),
            _ => None,
        }
    }
}
