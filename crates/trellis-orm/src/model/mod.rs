//! Models: the [`Model`] trait that `#[derive(Model)]` implements, and [`ModelMeta`], the
//! run-time description of a model (its fields, relations and options) that QuerySets,
//! migrations, the admin and forms read.

mod insert;
mod meta;
pub(crate) mod persist;
pub mod registry;
mod relation;
mod update;

pub use meta::{IndexMeta, ManyToManyMeta, ModelMeta, RelatedModel, ReverseMeta};
pub(crate) use persist::delete_objects;
pub use persist::{
    ModelExt, bulk_create, bulk_create_sql, bulk_update, get_or_create, update_or_create,
};
pub use relation::{ForeignKey, ManyToMany, Reverse};

use sea_query::Value;

use crate::backend::Row;
use crate::error::Result;
use crate::query::{Load, QuerySet};

/// A database model. Derive it:
///
/// ```
/// use trellis_orm::prelude::*;
///
/// #[derive(Model, Debug, Clone)]
/// #[model(app = "blog", ordering = "-id")]
/// pub struct Author {
///     pub id: i64,
///     #[field(max_length = 100, unique)]
///     pub name: String,
/// }
///
/// assert_eq!(Author::meta().table, "blog_author");
/// assert_eq!(Author::meta().field("name").unwrap().unique, true);
/// ```
pub trait Model: Sized + Clone + Send + Sync + Unpin + 'static {
    /// The app the model belongs to (`blog`).
    const APP: &'static str;
    /// The model's name (`Post`).
    const NAME: &'static str;
    /// The table (`blog_post` unless set).
    const TABLE: &'static str;
    /// The primary key's column.
    const PK_COLUMN: &'static str;
    /// The primary key's type (`i64` unless declared otherwise).
    type Pk: crate::FieldType + Clone + PartialEq + std::hash::Hash + Eq + std::fmt::Debug;
    /// The typed field handles (`Post::f().title`), rooted at model `R`.
    type Fields<R: Model>;

    /// The model's metadata.
    fn meta() -> &'static ModelMeta;

    /// The typed field handles, for lookups written `Post::f().title.contains("rust")`.
    fn f() -> Self::Fields<Self> {
        Self::fields_at(Vec::new())
    }

    /// The field handles with their paths prefixed (to follow a relation).
    #[doc(hidden)]
    fn fields_at<R: Model>(prefix: Vec<&'static str>) -> Self::Fields<R>;

    /// A QuerySet over every row (Django's `Model.objects.all()`).
    fn objects() -> QuerySet<Self> {
        QuerySet::new()
    }

    /// Decode the model's own columns from `row`, starting at `*idx` (advanced past them);
    /// fields named in `deferred` are not in the row and get placeholders.
    #[doc(hidden)]
    fn decode_own(row: &Row, idx: &mut usize, deferred: &[&str]) -> Result<Self>;

    /// Decode a `select_related` relation's columns into this object.
    #[doc(hidden)]
    fn decode_related(&mut self, name: &str, row: &Row, idx: &mut usize, load: &Load)
    -> Result<()>;

    /// Every column's value, in [`ModelMeta::fields`] order.
    fn column_values(&self) -> Vec<Value>;

    /// The value of column `idx` (in [`ModelMeta::fields`] order), without the others.
    #[doc(hidden)]
    fn column_value(&self, idx: usize) -> Option<Value> {
        self.column_values().into_iter().nth(idx)
    }

    /// The primary key.
    fn pk(&self) -> &Self::Pk;

    /// Set the primary key (after an insert).
    #[doc(hidden)]
    fn set_pk(&mut self, pk: Self::Pk);

    /// Whether the primary key is set (an auto key of 0 means "not saved yet").
    fn has_pk(&self) -> bool;

    /// Apply `auto_now` / `auto_now_add` before a save.
    #[doc(hidden)]
    fn touch(&mut self, creating: bool);

    /// Tell the relation fields (many-to-many, reverse) which object owns them.
    #[doc(hidden)]
    fn bind_relations(&mut self);

    /// Load the relation `name` for many objects at once (`prefetch_related`).
    #[doc(hidden)]
    fn prefetch<'a>(
        objs: &'a mut [Self],
        lookup: &'a crate::query::PrefetchLookup,
        conn: crate::Conn<'a>,
    ) -> futures_util::future::BoxFuture<'a, Result<()>>;
}

/// Decode a full object (own columns, then `select_related` ones) from a row.
pub(crate) fn decode<M: Model>(row: &Row, load: &Load) -> Result<M> {
    let mut idx = 0;
    decode_at(row, &mut idx, load)
}

#[doc(hidden)]
pub fn decode_at<M: Model>(row: &Row, idx: &mut usize, load: &Load) -> Result<M> {
    let mut obj = M::decode_own(row, idx, &load.deferred)?;
    for (name, sub) in &load.related {
        obj.decode_related(name, row, idx, sub)?;
    }
    obj.bind_relations();
    Ok(obj)
}
