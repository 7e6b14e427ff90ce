//! `prefetch_related`: one extra `IN` query per relation, results attached to each object.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::backend::Conn;
use crate::error::Result;
use crate::field::FieldType;
use crate::model::{ForeignKey, ManyToMany, Model, Reverse};
use crate::query::{KeyColumn, Q, QuerySet};

/// A prefetch with an optional custom QuerySet: `Prefetch::new("comments",
/// Comment::objects().filter(...))`.
#[derive(Clone)]
pub struct Prefetch {
    path: String,
    queryset: Option<Arc<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for Prefetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prefetch")
            .field("path", &self.path)
            .finish()
    }
}

impl Prefetch {
    /// Prefetch `path` with `queryset` as the base query for the last relation.
    pub fn new<T: Model>(path: &str, queryset: QuerySet<T>) -> Self {
        Prefetch {
            path: path.to_string(),
            queryset: Some(Arc::new(queryset)),
        }
    }

    pub(crate) fn path(path: &str) -> Self {
        Prefetch {
            path: path.to_string(),
            queryset: None,
        }
    }
}

/// One level of a prefetch tree, as a model's `prefetch` receives it.
#[derive(Clone, Default)]
pub struct PrefetchLookup {
    /// The relation at this level.
    pub name: String,
    /// Prefetches to run on the related objects.
    pub children: Vec<PrefetchLookup>,
    queryset: Option<Arc<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for PrefetchLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrefetchLookup")
            .field("name", &self.name)
            .field("children", &self.children)
            .finish()
    }
}

impl PrefetchLookup {
    fn base<T: Model>(&self) -> QuerySet<T> {
        self.queryset
            .as_ref()
            .and_then(|q| q.downcast_ref::<QuerySet<T>>())
            .cloned()
            .unwrap_or_default()
    }

    fn with_children<T: Model>(&self, qs: QuerySet<T>) -> QuerySet<T> {
        let mut qs = qs;
        for child in &self.children {
            qs.prefetch.push(Prefetch {
                path: child.flat_path(),
                queryset: child.deepest_qs(),
            });
        }
        qs
    }

    fn flat_path(&self) -> String {
        match self.children.as_slice() {
            [only] => format!("{}__{}", self.name, only.flat_path()),
            _ => self.name.clone(),
        }
    }

    fn deepest_qs(&self) -> Option<Arc<dyn Any + Send + Sync>> {
        match self.children.as_slice() {
            [only] => only.deepest_qs(),
            _ => self.queryset.clone(),
        }
    }

    /// An error for a name that is no relation of `M`.
    pub fn unknown<M: Model>(&self) -> crate::Error {
        crate::Error::InvalidQuery(format!(
            "cannot prefetch {:?}: not a relation of {} (relations: {})",
            self.name,
            M::NAME,
            M::meta()
                .fields
                .iter()
                .filter(|f| f.related.is_some())
                .map(|f| f.name)
                .chain(M::meta().many_to_many.iter().map(|m| m.name))
                .chain(M::meta().reverse.iter().map(|r| r.name))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

/// Turn flat paths (`"posts"`, `"posts__comments"`) into one tree per first segment.
pub(crate) fn merge(prefetches: &[Prefetch]) -> Vec<PrefetchLookup> {
    let mut roots: Vec<PrefetchLookup> = Vec::new();
    for p in prefetches {
        let segs: Vec<&str> = p.path.split("__").collect();
        let mut level = &mut roots;
        for (i, seg) in segs.iter().enumerate() {
            let pos = match level.iter().position(|l| l.name == *seg) {
                Some(pos) => pos,
                None => {
                    level.push(PrefetchLookup {
                        name: seg.to_string(),
                        ..Default::default()
                    });
                    level.len() - 1
                }
            };
            if i + 1 == segs.len() && p.queryset.is_some() {
                level[pos].queryset = p.queryset.clone();
            }
            level = &mut level[pos].children;
        }
    }
    roots
}

const CHUNK: usize = 2000;

/// The parents' children, grouped by the key each child row carries: one list per parent,
/// in the parents' order, each allocated once at its final size. A key no parent has is
/// dropped; of parents sharing a key, the first gets the children.
struct Groups<P: Model, C> {
    index: HashMap<P::Pk, usize>,
    keys: Vec<usize>,
    children: Vec<Arc<C>>,
}

impl<P: Model, C> Groups<P, C> {
    fn new(parents: &[P]) -> Self {
        let mut index = HashMap::with_capacity(parents.len());
        for (i, p) in parents.iter().enumerate() {
            index.entry(p.pk().clone()).or_insert(i);
        }
        Groups {
            index,
            keys: Vec::new(),
            children: Vec::new(),
        }
    }

    fn add(&mut self, keys: Vec<P::Pk>, children: Vec<C>) {
        self.keys.reserve(keys.len());
        self.children.reserve(children.len());
        for (key, child) in keys.iter().zip(children) {
            if let Some(&i) = self.index.get(key) {
                self.keys.push(i);
                // Into its `Arc` at once: the object is moved once more, not at every step.
                self.children.push(Arc::new(child));
            }
        }
    }

    /// One list per parent.
    fn into_lists(self, parents: usize) -> Vec<Vec<Arc<C>>> {
        let mut counts = vec![0usize; parents];
        for &i in &self.keys {
            counts[i] += 1;
        }
        let mut lists: Vec<Vec<Arc<C>>> = counts.into_iter().map(Vec::with_capacity).collect();
        for (i, child) in self.keys.into_iter().zip(self.children) {
            lists[i].push(child);
        }
        lists
    }
}

/// Prefetch a reverse foreign key (`Author.posts` for `Post.author`).
pub async fn reverse<P: Model, C: Model>(
    objs: &mut [P],
    lookup: &PrefetchLookup,
    conn: Conn<'_>,
    fk: &'static str,
    slot: fn(&mut P) -> &mut Reverse<C>,
) -> Result<()> {
    let key = KeyColumn::Own(
        C::meta()
            .field(fk)
            .ok_or_else(|| lookup.unknown::<C>())?
            .column
            .clone(),
    );
    let mut groups = Groups::<P, C>::new(objs);
    for chunk in objs.chunks(CHUNK) {
        let qs = lookup
            .with_children(lookup.base::<C>())
            .filter(Q::lookup_in(fk, chunk.iter().map(|o| o.pk().to_value())));
        let (keys, children) = qs.all_keyed::<P::Pk>(conn, &key).await?;
        groups.add(keys, children);
    }
    let lists = groups.into_lists(objs.len());
    for (obj, children) in objs.iter_mut().zip(lists) {
        slot(obj).set_loaded(children);
    }
    Ok(())
}

/// Prefetch a many-to-many relation.
pub async fn many_to_many<P: Model, C: Model>(
    objs: &mut [P],
    lookup: &PrefetchLookup,
    conn: Conn<'_>,
    name: &'static str,
    slot: fn(&mut P) -> &mut ManyToMany<C>,
) -> Result<()> {
    let meta = P::meta().m2m(name).ok_or_else(|| lookup.unknown::<P>())?;
    let key = KeyColumn::Through {
        table: meta.through_table.clone(),
        source: meta.source_column.clone(),
        target: meta.target_column.clone(),
    };
    let mut groups = Groups::<P, C>::new(objs);
    for chunk in objs.chunks(CHUNK) {
        let qs = lookup
            .with_children(lookup.base::<C>())
            .filter(Q::InThrough {
                source: meta.source_column.clone(),
                owners: chunk.iter().map(|o| o.pk().to_value()).collect(),
            });
        let (keys, children) = qs.all_keyed::<P::Pk>(conn, &key).await?;
        groups.add(keys, children);
    }
    let lists = groups.into_lists(objs.len());
    for (obj, children) in objs.iter_mut().zip(lists) {
        slot(obj).set_loaded(children);
    }
    Ok(())
}

/// Prefetch a foreign key (one `IN` query instead of a JOIN).
pub async fn forward<P: Model, T: Model>(
    objs: &mut [P],
    lookup: &PrefetchLookup,
    conn: Conn<'_>,
    slot: fn(&mut P) -> Option<&mut ForeignKey<T>>,
) -> Result<()> {
    let mut seen: HashSet<T::Pk> = HashSet::new();
    let mut ids: Vec<T::Pk> = Vec::new();
    for obj in objs.iter_mut() {
        if let Some(fk) = slot(obj)
            && seen.insert(fk.id().clone())
        {
            ids.push(fk.id().clone());
        }
    }
    let mut found: HashMap<T::Pk, Arc<T>> = HashMap::with_capacity(ids.len());
    let pk_name = T::meta().pk().name;
    for chunk in ids.chunks(CHUNK) {
        let qs = lookup
            .with_children(lookup.base::<T>())
            .filter(Q::lookup_in(pk_name, chunk.iter().map(|k| k.to_value())));
        for obj in qs.all(&conn).await? {
            found.insert(obj.pk().clone(), Arc::new(obj));
        }
    }
    for obj in objs.iter_mut() {
        if let Some(fk) = slot(obj)
            && let Some(target) = found.get(fk.id())
        {
            fk.set_loaded(target.clone());
        }
    }
    Ok(())
}
