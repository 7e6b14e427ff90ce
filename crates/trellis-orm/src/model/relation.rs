//! Relation fields: [`ForeignKey`] (a column), [`ManyToMany`] and [`Reverse`] (no column;
//! filled by `prefetch_related` or fetched explicitly). A related object is never fetched
//! behind the user's back: reading an unloaded relation is an error naming the fix.

use std::sync::Arc;

use sea_query::Value;

use crate::FieldType;
use crate::backend::Executor;
use crate::error::{Error, Result};
use crate::model::{ManyToManyMeta, Model};
use crate::observe::Hint;
use crate::query::{Q, QuerySet};

/// A foreign key to `T`: the related row's primary key, plus the related object when the
/// query loaded it (`select_related` / `prefetch_related`).
///
/// Declare nullable foreign keys as `Option<ForeignKey<T>>`.
pub struct ForeignKey<T: Model> {
    id: T::Pk,
    obj: Option<Arc<T>>,
    origin: Option<(&'static str, &'static str)>,
}

impl<T: Model> Clone for ForeignKey<T> {
    fn clone(&self) -> Self {
        ForeignKey {
            id: self.id.clone(),
            obj: self.obj.clone(),
            origin: self.origin,
        }
    }
}

impl<T: Model + std::fmt::Debug> std::fmt::Debug for ForeignKey<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.obj {
            Some(obj) => f.debug_tuple("ForeignKey").field(obj).finish(),
            None => f.debug_tuple("ForeignKey").field(&self.id).finish(),
        }
    }
}

impl<T: Model> PartialEq for ForeignKey<T> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<T: Model> ForeignKey<T> {
    /// A reference to the row with primary key `id` (not loaded).
    pub fn new(id: T::Pk) -> Self {
        ForeignKey {
            id,
            obj: None,
            origin: None,
        }
    }

    /// The related row's primary key (no query).
    pub fn id(&self) -> &T::Pk {
        &self.id
    }

    /// The related object if the query loaded it.
    pub fn loaded(&self) -> Option<&T> {
        self.obj.as_deref()
    }

    /// The related object, or [`Error::NotLoaded`] naming the `select_related` to add.
    pub fn try_get(&self) -> Result<&T> {
        self.obj.as_deref().ok_or(Error::NotLoaded {
            model: self.origin.map_or(T::NAME, |o| o.0),
            field: self.origin.map_or("?", |o| o.1),
        })
    }

    /// The related object: the loaded one, or fetched now with one query (explicitly:
    /// the N+1 detector watches these).
    pub async fn get(&self, db: &impl Executor) -> Result<Arc<T>> {
        if let Some(obj) = &self.obj {
            return Ok(obj.clone());
        }
        let hint = self.origin.map(|(model, relation)| Hint {
            model,
            relation,
            fix: "select_related",
        });
        let obj = T::objects()
            .filter(Q::pk(self.id.to_value()))
            .get_hinted(db, hint)
            .await?;
        Ok(Arc::new(obj))
    }

    #[doc(hidden)]
    pub fn set_loaded(&mut self, obj: Arc<T>) {
        self.obj = Some(obj);
    }

    #[doc(hidden)]
    pub fn bind(&mut self, model: &'static str, field: &'static str) {
        self.origin = Some((model, field));
    }
}

impl<T: Model> From<&T> for ForeignKey<T> {
    fn from(obj: &T) -> Self {
        ForeignKey::new(obj.pk().clone())
    }
}

impl<T: Model> serde::Serialize for ForeignKey<T>
where
    T::Pk: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.id.serialize(s)
    }
}

impl<'de, T: Model> serde::Deserialize<'de> for ForeignKey<T>
where
    T::Pk: serde::Deserialize<'de>,
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        T::Pk::deserialize(d).map(ForeignKey::new)
    }
}

/// Objects loaded for a to-many relation.
fn loaded_or_err<'a, T>(
    loaded: &'a Option<Vec<Arc<T>>>,
    model: &'static str,
    field: &'static str,
) -> Result<&'a [Arc<T>]> {
    loaded.as_deref().ok_or(Error::NotLoaded { model, field })
}

/// A many-to-many relation to `T` (a join table; no column on this model).
pub struct ManyToMany<T: Model> {
    owner: Option<Value>,
    meta: Option<&'static ManyToManyMeta>,
    model: &'static str,
    loaded: Option<Vec<Arc<T>>>,
}

impl<T: Model> Default for ManyToMany<T> {
    fn default() -> Self {
        ManyToMany {
            owner: None,
            meta: None,
            model: "?",
            loaded: None,
        }
    }
}

impl<T: Model> Clone for ManyToMany<T> {
    fn clone(&self) -> Self {
        ManyToMany {
            owner: self.owner.clone(),
            meta: self.meta,
            model: self.model,
            loaded: self.loaded.clone(),
        }
    }
}

impl<T: Model + std::fmt::Debug> std::fmt::Debug for ManyToMany<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.loaded {
            Some(objs) => f.debug_tuple("ManyToMany").field(objs).finish(),
            None => f.write_str("ManyToMany(<not loaded>)"),
        }
    }
}

impl<T: Model> serde::Serialize for ManyToMany<T>
where
    T: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.loaded.serialize(s)
    }
}

impl<T: Model> ManyToMany<T> {
    fn field(&self) -> &'static str {
        self.meta.map_or("?", |m| m.name)
    }

    fn bound(&self) -> Result<(&Value, &'static ManyToManyMeta)> {
        match (&self.owner, self.meta) {
            (Some(owner), Some(meta)) => Ok((owner, meta)),
            _ => Err(Error::InvalidQuery(format!(
                "{}.{} belongs to an object that is not saved yet",
                self.model,
                self.field()
            ))),
        }
    }

    /// The related objects if the query prefetched them.
    pub fn loaded(&self) -> Option<&[Arc<T>]> {
        self.loaded.as_deref()
    }

    /// The prefetched objects, or [`Error::NotLoaded`] naming the `prefetch_related` to add.
    pub fn try_all(&self) -> Result<&[Arc<T>]> {
        loaded_or_err(&self.loaded, self.model, self.field())
    }

    /// A QuerySet of the related objects (not run yet).
    pub fn query(&self) -> Result<QuerySet<T>> {
        let (owner, meta) = self.bound()?;
        Ok(T::objects().filter(Q::InJoinTable {
            table: meta.through_table.clone(),
            source: meta.source_column.clone(),
            target: meta.target_column.clone(),
            owner: owner.clone(),
        }))
    }

    /// Fetch the related objects now (one query; the N+1 detector watches these).
    pub async fn fetch(&self, db: &impl Executor) -> Result<Vec<T>> {
        let hint = Hint {
            model: self.model,
            relation: self.field(),
            fix: "prefetch_related",
        };
        self.query()?.all_hinted(db, Some(hint)).await
    }

    /// Add links to `objs` (existing links are kept; sends `m2m_changed`).
    pub async fn add(&self, db: &impl Executor, objs: &[&T]) -> Result<()> {
        let (owner, meta) = self.bound()?;
        let ids: Vec<Value> = objs.iter().map(|o| o.pk().to_value()).collect();
        crate::query::m2m::add(db, meta, owner.clone(), ids, self.model).await
    }

    /// Remove the links to `objs` (sends `m2m_changed`).
    pub async fn remove(&self, db: &impl Executor, objs: &[&T]) -> Result<()> {
        let (owner, meta) = self.bound()?;
        let ids: Vec<Value> = objs.iter().map(|o| o.pk().to_value()).collect();
        crate::query::m2m::remove(db, meta, owner.clone(), Some(ids), self.model).await
    }

    /// Remove every link (sends `m2m_changed`).
    pub async fn clear(&self, db: &impl Executor) -> Result<()> {
        let (owner, meta) = self.bound()?;
        crate::query::m2m::remove(db, meta, owner.clone(), None, self.model).await
    }

    /// Make the links exactly `objs`.
    pub async fn set(&self, db: &impl Executor, objs: &[&T]) -> Result<()> {
        self.clear(db).await?;
        self.add(db, objs).await
    }

    #[doc(hidden)]
    pub fn bind(&mut self, owner: Value, model: &'static str, meta: &'static ManyToManyMeta) {
        self.owner = Some(owner);
        self.model = model;
        self.meta = Some(meta);
    }

    #[doc(hidden)]
    pub fn set_loaded(&mut self, objs: Vec<Arc<T>>) {
        self.loaded = Some(objs);
    }
}

/// The reverse side of a foreign key on `T` (a user's posts): no column, declared with
/// `#[field(reverse = "author")] posts: Reverse<Post>`.
pub struct Reverse<T: Model> {
    owner: Option<Value>,
    field: &'static str,
    fk: &'static str,
    model: &'static str,
    loaded: Option<Vec<Arc<T>>>,
}

impl<T: Model> Default for Reverse<T> {
    fn default() -> Self {
        Reverse {
            owner: None,
            field: "?",
            fk: "?",
            model: "?",
            loaded: None,
        }
    }
}

impl<T: Model> Clone for Reverse<T> {
    fn clone(&self) -> Self {
        Reverse {
            owner: self.owner.clone(),
            field: self.field,
            fk: self.fk,
            model: self.model,
            loaded: self.loaded.clone(),
        }
    }
}

impl<T: Model + std::fmt::Debug> std::fmt::Debug for Reverse<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.loaded {
            Some(objs) => f.debug_tuple("Reverse").field(objs).finish(),
            None => f.write_str("Reverse(<not loaded>)"),
        }
    }
}

impl<T: Model> serde::Serialize for Reverse<T>
where
    T: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.loaded.serialize(s)
    }
}

impl<T: Model> Reverse<T> {
    /// The related objects if the query prefetched them.
    pub fn loaded(&self) -> Option<&[Arc<T>]> {
        self.loaded.as_deref()
    }

    /// The prefetched objects, or [`Error::NotLoaded`] naming the `prefetch_related` to add.
    pub fn try_all(&self) -> Result<&[Arc<T>]> {
        loaded_or_err(&self.loaded, self.model, self.field)
    }

    /// A QuerySet of the related objects (not run yet).
    pub fn query(&self) -> Result<QuerySet<T>> {
        let owner = self.owner.clone().ok_or_else(|| {
            Error::InvalidQuery(format!(
                "{}.{} belongs to an object that is not saved yet",
                self.model, self.field
            ))
        })?;
        Ok(T::objects().filter(Q::lookup(self.fk, owner)))
    }

    /// Fetch the related objects now (one query; the N+1 detector watches these).
    pub async fn fetch(&self, db: &impl Executor) -> Result<Vec<T>> {
        let hint = Hint {
            model: self.model,
            relation: self.field,
            fix: "prefetch_related",
        };
        self.query()?.all_hinted(db, Some(hint)).await
    }

    #[doc(hidden)]
    pub fn bind(
        &mut self,
        owner: Value,
        model: &'static str,
        field: &'static str,
        fk: &'static str,
    ) {
        self.owner = Some(owner);
        self.model = model;
        self.field = field;
        self.fk = fk;
    }

    #[doc(hidden)]
    pub fn set_loaded(&mut self, objs: Vec<Arc<T>>) {
        self.loaded = Some(objs);
    }
}
