//! [`ModelMeta`]: a model described as data.

use crate::field::FieldMeta;

/// A pointer to another model's metadata (a function, so that models can refer to each
/// other, and to themselves, without initialisation cycles). Compares equal to any other:
/// only the model label matters when states are compared.
#[derive(Clone, Copy)]
pub struct RelatedModel(pub fn() -> &'static ModelMeta);

impl RelatedModel {
    /// The related model's metadata.
    pub fn meta(&self) -> &'static ModelMeta {
        (self.0)()
    }
}

impl std::fmt::Debug for RelatedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RelatedModel(..)")
    }
}

impl PartialEq for RelatedModel {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A many-to-many relation: a join table with a column for each side.
#[derive(Debug, Clone, PartialEq)]
pub struct ManyToManyMeta {
    /// The field name (`tags`).
    pub name: &'static str,
    /// `app.Model` of the target.
    pub to: String,
    /// The target model.
    pub related: Option<RelatedModel>,
    /// The join table (`blog_post_tags` unless an explicit through model is used).
    pub through_table: String,
    /// `app.Model` of an explicit through model, if any.
    pub through: Option<String>,
    /// The join table's column pointing at this model (`post_id`).
    pub source_column: String,
    /// The join table's column pointing at the target (`tag_id`).
    pub target_column: String,
    /// The reverse accessor name on the target.
    pub related_name: Option<String>,
}

/// A declared reverse accessor: the other side of a foreign key (`Author.posts` for
/// `Post.author`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReverseMeta {
    /// The accessor's name (`posts`).
    pub name: &'static str,
    /// The model holding the foreign key.
    pub related: RelatedModel,
    /// The foreign key's field name on that model (`author`).
    pub field: &'static str,
}

/// An index over one or more fields.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexMeta {
    /// The index name.
    pub name: String,
    /// The field names.
    pub fields: Vec<String>,
    /// A unique index.
    pub unique: bool,
}

/// Everything known about a model at run time.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelMeta {
    /// The app label (`blog`).
    pub app_label: &'static str,
    /// The model's name (`Post`).
    pub name: &'static str,
    /// The table.
    pub table: String,
    /// The column fields, primary key first, in declaration order.
    pub fields: Vec<FieldMeta>,
    /// Many-to-many relations (no column here; a join table each).
    pub many_to_many: Vec<ManyToManyMeta>,
    /// Declared reverse accessors.
    pub reverse: Vec<ReverseMeta>,
    /// Default ordering (`["-created_at", "title"]`).
    pub ordering: Vec<String>,
    /// Composite unique constraints.
    pub unique_together: Vec<Vec<String>>,
    /// Extra indexes.
    pub indexes: Vec<IndexMeta>,
    /// Human-readable name.
    pub verbose_name: String,
    /// Human-readable plural.
    pub verbose_name_plural: String,
}

impl ModelMeta {
    /// `app.Model`.
    pub fn label(&self) -> String {
        format!("{}.{}", self.app_label, self.name)
    }

    /// The primary-key field.
    pub fn pk(&self) -> &FieldMeta {
        self.fields
            .iter()
            .find(|f| f.primary_key)
            .unwrap_or(&self.fields[0])
    }

    /// The column field called `name`.
    pub fn field(&self, name: &str) -> Option<&FieldMeta> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The position of field `name` in [`fields`](Self::fields).
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The many-to-many relation called `name`.
    pub fn m2m(&self, name: &str) -> Option<&ManyToManyMeta> {
        self.many_to_many.iter().find(|m| m.name == name)
    }

    /// The reverse accessor called `name`.
    pub fn reverse_rel(&self, name: &str) -> Option<&ReverseMeta> {
        self.reverse.iter().find(|r| r.name == name)
    }

    /// All names a lookup may start with, for error messages.
    pub fn choices(&self) -> String {
        let mut names: Vec<&str> = self.fields.iter().map(|f| f.name).collect();
        names.extend(self.many_to_many.iter().map(|m| m.name));
        names.extend(self.reverse.iter().map(|r| r.name));
        names.sort_unstable();
        names.join(", ")
    }
}
