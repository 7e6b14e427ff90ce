//! [`Field`]: a field as written in migration files (`Field::char(200).unique()`), and the
//! comparison of fields by what the database sees.

use sea_query::Value;

use crate::field::{DefaultValue, FieldKind, FieldMeta, OnDelete, Relation};
use crate::model::ManyToManyMeta;

/// A field definition in a migration: a column, or a many-to-many relation (a join table).
///
/// Constructors name the storage kind; modifiers read like the model's attributes:
///
/// ```
/// use trellis_orm::migrations::prelude::*;
///
/// let title = Field::char(200).db_index();
/// let author = Field::foreign_key("blog.Author", "blog_author", "id").on_delete(OnDelete::Cascade);
/// let views = Field::int().default(0i32);
/// let tags = Field::many_to_many("blog.Tag", "blog_post_tags", "post_id", "tag_id");
/// # let _ = (title, author, views, tags);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub(crate) def: FieldDef,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FieldDef {
    Column(ColumnDef),
    ManyToMany(M2mDef),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnDef {
    pub(crate) kind: FieldKind,
    pub(crate) column: Option<String>,
    pub(crate) null: bool,
    pub(crate) primary_key: bool,
    pub(crate) unique: bool,
    pub(crate) db_index: bool,
    pub(crate) default: Option<DefaultValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct M2mDef {
    pub(crate) to: String,
    pub(crate) through_table: String,
    pub(crate) through: Option<String>,
    pub(crate) source_column: String,
    pub(crate) target_column: String,
}

macro_rules! simple_kinds {
    ($($(#[$doc:meta])* $fn:ident => $kind:expr;)*) => {$(
        $(#[$doc])*
        pub fn $fn() -> Field {
            Field::of_kind($kind)
        }
    )*};
}

impl Field {
    /// A column of `kind` with every option off.
    pub fn of_kind(kind: FieldKind) -> Field {
        Field {
            def: FieldDef::Column(ColumnDef {
                kind,
                column: None,
                null: false,
                primary_key: false,
                unique: false,
                db_index: false,
                default: None,
            }),
        }
    }

    simple_kinds! {
        /// An auto-incrementing 64-bit key (add `.primary_key()`).
        big_auto => FieldKind::BigAuto;
        /// A boolean.
        bool => FieldKind::Bool;
        /// A 16-bit integer.
        small_int => FieldKind::SmallInt;
        /// A 32-bit integer.
        int => FieldKind::Int;
        /// A 64-bit integer.
        big_int => FieldKind::BigInt;
        /// A 32-bit float.
        float => FieldKind::Float;
        /// A 64-bit float.
        double => FieldKind::Double;
        /// Unbounded text.
        text => FieldKind::Text;
        /// A date.
        date => FieldKind::Date;
        /// A date and time (UTC).
        datetime => FieldKind::DateTime;
        /// A time of day.
        time => FieldKind::Time;
        /// A UUID.
        uuid => FieldKind::Uuid;
        /// A JSON document.
        json => FieldKind::Json;
        /// Raw bytes.
        bytes => FieldKind::Bytes;
    }

    /// A string of at most `max_length` characters.
    pub fn char(max_length: u32) -> Field {
        Field::of_kind(FieldKind::Char { max_length })
    }

    /// A fixed-point decimal.
    pub fn decimal(max_digits: u32, decimal_places: u32) -> Field {
        Field::of_kind(FieldKind::Decimal {
            max_digits,
            decimal_places,
        })
    }

    /// A foreign key to model `to` (`app.Model`), whose table is `to_table` and primary-key
    /// column `to_column`. `on_delete` defaults to `Cascade`.
    pub fn foreign_key(to: &str, to_table: &str, to_column: &str) -> Field {
        Field::of_kind(FieldKind::ForeignKey(Relation {
            to: to.to_string(),
            to_table: to_table.to_string(),
            to_column: to_column.to_string(),
            on_delete: OnDelete::Cascade,
            related_name: None,
            one_to_one: false,
        }))
    }

    /// A many-to-many relation to `to` through the join table `through_table`, whose
    /// columns `source_column` and `target_column` point at this model and at `to`.
    pub fn many_to_many(
        to: &str,
        through_table: &str,
        source_column: &str,
        target_column: &str,
    ) -> Field {
        Field {
            def: FieldDef::ManyToMany(M2mDef {
                to: to.to_string(),
                through_table: through_table.to_string(),
                through: None,
                source_column: source_column.to_string(),
                target_column: target_column.to_string(),
            }),
        }
    }

    fn column_mut(&mut self) -> &mut ColumnDef {
        match &mut self.def {
            FieldDef::Column(c) => c,
            FieldDef::ManyToMany(_) => panic!("this option applies to column fields only"),
        }
    }

    fn relation_mut(&mut self) -> &mut Relation {
        match &mut self.column_mut().kind {
            FieldKind::ForeignKey(rel) => rel,
            _ => panic!("this option applies to foreign keys only"),
        }
    }

    /// The explicit through model (`app.Model`) of a many-to-many relation: its table is a
    /// model of its own, so no join table is created for this field.
    pub fn through(mut self, model: &str) -> Field {
        match &mut self.def {
            FieldDef::ManyToMany(m) => m.through = Some(model.to_string()),
            FieldDef::Column(_) => panic!("`through` applies to many-to-many fields only"),
        }
        self
    }

    /// The primary key.
    pub fn primary_key(mut self) -> Field {
        self.column_mut().primary_key = true;
        self
    }

    /// NULL allowed.
    pub fn null(mut self) -> Field {
        self.column_mut().null = true;
        self
    }

    /// A UNIQUE constraint.
    pub fn unique(mut self) -> Field {
        self.column_mut().unique = true;
        self
    }

    /// An index.
    pub fn db_index(mut self) -> Field {
        self.column_mut().db_index = true;
        self
    }

    /// The column name, when it is not the field's name (`<name>_id` for foreign keys).
    pub fn column(mut self, column: &str) -> Field {
        self.column_mut().column = Some(column.to_string());
        self
    }

    /// A constant default (`.default("draft")`, `.default(0i32)`, `.default(None::<i64>)`).
    pub fn default(mut self, value: impl Into<Value>) -> Field {
        self.column_mut().default = Some(DefaultValue::Value(value.into()));
        self
    }

    /// The current time as default.
    pub fn default_now(mut self) -> Field {
        self.column_mut().default = Some(DefaultValue::Now);
        self
    }

    /// What happens to rows when the referenced row is deleted.
    pub fn on_delete(mut self, on_delete: OnDelete) -> Field {
        self.relation_mut().on_delete = on_delete;
        self
    }

    /// A one-to-one relation (the column is unique too).
    pub fn one_to_one(mut self) -> Field {
        self.relation_mut().one_to_one = true;
        self
    }

    /// Whether this is a many-to-many relation.
    pub fn is_many_to_many(&self) -> bool {
        matches!(self.def, FieldDef::ManyToMany(_))
    }

    /// The model labels (`app.Model`) this field points at.
    pub fn references(&self) -> Vec<String> {
        match &self.def {
            FieldDef::Column(c) => match &c.kind {
                FieldKind::ForeignKey(rel) => vec![rel.to.clone()],
                _ => Vec::new(),
            },
            FieldDef::ManyToMany(m) => {
                let mut v = vec![m.to.clone()];
                v.extend(m.through.clone());
                v
            }
        }
    }

    /// The column field called `name` (for column fields).
    pub(crate) fn to_field_meta(&self, name: &'static str) -> Option<FieldMeta> {
        let FieldDef::Column(c) = &self.def else {
            return None;
        };
        let mut f = FieldMeta::new(name, c.kind.clone());
        if let Some(col) = &c.column {
            f.column = col.clone();
        }
        f.null = c.null;
        f.primary_key = c.primary_key;
        f.unique = c.unique;
        f.db_index = c.db_index;
        f.default = c.default.clone();
        Some(f)
    }

    /// The many-to-many relation called `name` (for many-to-many fields).
    pub(crate) fn to_m2m_meta(&self, name: &'static str) -> Option<ManyToManyMeta> {
        let FieldDef::ManyToMany(m) = &self.def else {
            return None;
        };
        Some(ManyToManyMeta {
            name,
            to: m.to.clone(),
            related: None,
            through_table: m.through_table.clone(),
            through: m.through.clone(),
            source_column: m.source_column.clone(),
            target_column: m.target_column.clone(),
            related_name: None,
        })
    }

    /// The migration field describing a model's column field.
    pub fn from_meta(f: &FieldMeta) -> Field {
        let default_column = FieldMeta::new(f.name, f.kind.clone()).column;
        let mut kind = f.kind.clone();
        if let FieldKind::ForeignKey(rel) = &mut kind {
            rel.related_name = None;
        }
        Field {
            def: FieldDef::Column(ColumnDef {
                kind,
                column: (f.column != default_column).then(|| f.column.clone()),
                null: f.null,
                primary_key: f.primary_key,
                unique: f.unique,
                db_index: f.db_index,
                default: f.default.clone(),
            }),
        }
    }

    /// The migration field describing a model's many-to-many relation.
    pub fn from_m2m(m: &ManyToManyMeta) -> Field {
        Field {
            def: FieldDef::ManyToMany(M2mDef {
                to: m.to.clone(),
                through_table: m.through_table.clone(),
                through: m.through.clone(),
                source_column: m.source_column.clone(),
                target_column: m.target_column.clone(),
            }),
        }
    }
}

/// Whether two column fields are the same to the database (kind, column, NULL, keys,
/// indexes, default, relation target and `on_delete`). Names, labels, help texts,
/// choices and `auto_now` flags are not compared: changing them needs no migration.
pub fn same_column(a: &FieldMeta, b: &FieldMeta) -> bool {
    let rel_eq = match (&a.kind, &b.kind) {
        (FieldKind::ForeignKey(x), FieldKind::ForeignKey(y)) => {
            x.to == y.to
                && x.to_table == y.to_table
                && x.to_column == y.to_column
                && x.on_delete == y.on_delete
                && x.one_to_one == y.one_to_one
        }
        (x, y) => x == y,
    };
    rel_eq
        && a.column == b.column
        && a.null == b.null
        && a.primary_key == b.primary_key
        && a.unique == b.unique
        && a.db_index == b.db_index
        && a.default == b.default
}

/// Whether two many-to-many relations are the same to the database.
pub fn same_m2m(a: &ManyToManyMeta, b: &ManyToManyMeta) -> bool {
    a.to == b.to
        && a.through_table == b.through_table
        && a.through == b.through
        && a.source_column == b.source_column
        && a.target_column == b.target_column
}

/// Helpers for defaults of types without a `From<T> for Value` that reads well in a
/// migration file.
pub mod values {
    use sea_query::Value;

    /// A decimal default (`dec("10.50")`).
    pub fn dec(s: &str) -> Value {
        Value::from(
            s.parse::<rust_decimal::Decimal>()
                .expect("a decimal literal"),
        )
    }

    /// A UUID default.
    pub fn uuid(s: &str) -> Value {
        Value::from(uuid::Uuid::parse_str(s).expect("a UUID literal"))
    }

    /// A date-time default (RFC 3339).
    pub fn datetime(s: &str) -> Value {
        Value::from(
            chrono::DateTime::parse_from_rfc3339(s)
                .expect("an RFC 3339 date-time")
                .with_timezone(&chrono::Utc),
        )
    }

    /// A date default (`YYYY-MM-DD`).
    pub fn date(s: &str) -> Value {
        Value::from(s.parse::<chrono::NaiveDate>().expect("a date"))
    }

    /// A time default (`HH:MM:SS`).
    pub fn time(s: &str) -> Value {
        Value::from(s.parse::<chrono::NaiveTime>().expect("a time"))
    }

    /// A JSON default.
    pub fn json(s: &str) -> Value {
        Value::from(serde_json::from_str::<serde_json::Value>(s).expect("JSON"))
    }
}
