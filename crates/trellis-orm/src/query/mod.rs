//! QuerySets: lazy, chainable, async queries over a model (Django's `QuerySet`).
//!
//! Nothing runs until a terminal method (`all`, `get`, `count`, `stream`, `update`,
//! `delete`, ...) is awaited with an [`Executor`].

mod aggregate;
mod cache;
pub(crate) mod compiler;
pub(crate) mod m2m;
#[doc(hidden)]
pub mod prefetch;
mod q;
mod typed;

use std::marker::PhantomData;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sea_query::{Expr, ExprTrait, Query, SelectStatement, Value};

pub use aggregate::Agg;
pub use compiler::Load;
pub use prefetch::{Prefetch, PrefetchLookup};
pub use q::{F, Lookup, Op, Operand, Q};
pub use typed::{Col, Rel};

use crate::backend::{Backend, Conn, Executor, JsonAs, Row};
use crate::error::{Error, Result};
use crate::field::{FieldKind, FieldType};
use crate::model::{self, Model, ModelMeta};
use crate::observe::Hint;
use compiler::{Compiler, col};

/// A lazy query over model `M`.
///
/// ```
/// use trellis_orm::prelude::*;
/// # #[derive(Model, Debug, Clone)]
/// # #[model(app = "shop")]
/// # pub struct Product { pub id: i64, #[field(max_length = 50)] pub name: String, pub stock: i32 }
/// let qs = Product::objects()
///     .filter(Product::f().name.icontains("chair"))
///     .exclude(Product::f().stock.eq(0))
///     .order_by(["-stock", "name"])
///     .slice(0..10);
/// let (sql, _values) = qs.to_sql(Backend::Postgres).unwrap();
/// assert!(sql.starts_with(r#"SELECT "id", "name", "stock" FROM "shop_product" WHERE"#));
/// ```
pub struct QuerySet<M: Model> {
    filters: Vec<Q>,
    order: Option<Vec<String>>,
    limit: Option<u64>,
    offset: Option<u64>,
    distinct: bool,
    related: Vec<String>,
    prefetch: Vec<Prefetch>,
    only: Option<Vec<String>>,
    defer: Vec<String>,
    _m: PhantomData<fn() -> M>,
}

impl<M: Model> Clone for QuerySet<M> {
    fn clone(&self) -> Self {
        QuerySet {
            filters: self.filters.clone(),
            order: self.order.clone(),
            limit: self.limit,
            offset: self.offset,
            distinct: self.distinct,
            related: self.related.clone(),
            prefetch: self.prefetch.clone(),
            only: self.only.clone(),
            defer: self.defer.clone(),
            _m: PhantomData,
        }
    }
}

impl<M: Model> std::fmt::Debug for QuerySet<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuerySet")
            .field("model", &M::NAME)
            .field("filters", &self.filters)
            .field("order", &self.order)
            .field("limit", &self.limit)
            .field("offset", &self.offset)
            .finish()
    }
}

impl<M: Model> Default for QuerySet<M> {
    fn default() -> Self {
        Self::new()
    }
}

/// A `(key, object)` pair source for prefetching: which extra column keys each row.
pub(crate) enum KeyColumn {
    /// A column of the model's own table.
    Own(String),
    /// The source column of a many-to-many join table.
    Through {
        table: String,
        source: String,
        target: String,
    },
}

impl<M: Model> QuerySet<M> {
    /// Every row of `M` (same as `M::objects()`).
    pub fn new() -> Self {
        QuerySet {
            filters: Vec::new(),
            order: None,
            limit: None,
            offset: None,
            distinct: false,
            related: Vec::new(),
            prefetch: Vec::new(),
            only: None,
            defer: Vec::new(),
            _m: PhantomData,
        }
    }

    /// Keep rows matching `q` (several filters are ANDed).
    pub fn filter(mut self, q: Q) -> Self {
        self.filters.push(q);
        self
    }

    /// Drop rows matching `q`.
    pub fn exclude(mut self, q: Q) -> Self {
        self.filters.push(!q);
        self
    }

    /// Order by fields (`"-created_at"` for descending, `"author__name"` across a
    /// relation). Replaces the model's default ordering; an empty list means unordered.
    pub fn order_by<S: AsRef<str>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.order = Some(fields.into_iter().map(|s| s.as_ref().to_string()).collect());
        self
    }

    /// Reverse the ordering (the default ordering, or by primary key).
    pub fn reverse(mut self) -> Self {
        let current = self
            .order
            .clone()
            .unwrap_or_else(|| M::meta().ordering.clone());
        let current = if current.is_empty() {
            vec![M::meta().pk().name.to_string()]
        } else {
            current
        };
        self.order = Some(
            current
                .into_iter()
                .map(|o| match o.strip_prefix('-') {
                    Some(rest) => rest.to_string(),
                    None => format!("-{o}"),
                })
                .collect(),
        );
        self
    }

    /// Rows `range` of the result (`LIMIT`/`OFFSET`), like Python's slicing.
    pub fn slice(mut self, range: std::ops::Range<u64>) -> Self {
        let base = self.offset.unwrap_or(0);
        self.offset = Some(base + range.start);
        let len = range.end.saturating_sub(range.start);
        self.limit = Some(self.limit.map_or(len, |l| {
            std::cmp::Ord::min(l.saturating_sub(range.start), len)
        }));
        self
    }

    /// At most `n` rows.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skip `n` rows.
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// `SELECT DISTINCT` (useful after filtering across to-many relations).
    pub fn distinct(mut self) -> Self {
        self.distinct = true;
        self
    }

    /// Load foreign keys in the same query with a JOIN (`"author"`, nested
    /// `"post__author"`; LEFT JOIN for nullable keys).
    pub fn select_related<S: AsRef<str>>(mut self, relations: impl IntoIterator<Item = S>) -> Self {
        self.related
            .extend(relations.into_iter().map(|s| s.as_ref().to_string()));
        self
    }

    /// Load to-many relations (reverse foreign keys, many-to-many; also foreign keys) with
    /// one extra `IN` query per relation: `"tags"`, nested `"posts__comments"`.
    pub fn prefetch_related<S: AsRef<str>>(
        mut self,
        relations: impl IntoIterator<Item = S>,
    ) -> Self {
        self.prefetch
            .extend(relations.into_iter().map(|s| Prefetch::path(s.as_ref())));
        self
    }

    /// Prefetch with a custom QuerySet for the related objects.
    pub fn prefetch(mut self, prefetch: Prefetch) -> Self {
        self.prefetch.push(prefetch);
        self
    }

    /// Load only these fields (the primary key always); the others hold placeholders.
    pub fn only<S: AsRef<str>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.only = Some(fields.into_iter().map(|s| s.as_ref().to_string()).collect());
        self
    }

    /// Do not load these fields (they hold placeholders).
    pub fn defer<S: AsRef<str>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.defer
            .extend(fields.into_iter().map(|s| s.as_ref().to_string()));
        self
    }

    fn deferred(&self) -> Result<Vec<&'static str>> {
        let meta = M::meta();
        for name in self.only.iter().flatten().chain(&self.defer) {
            if meta.field(name).is_none() {
                return Err(Error::UnknownField {
                    model: meta.name,
                    name: name.clone(),
                    choices: meta.choices(),
                });
            }
        }
        Ok(meta
            .fields
            .iter()
            .filter(|f| !f.primary_key)
            .filter(|f| {
                self.defer.iter().any(|d| d == f.name)
                    || self
                        .only
                        .as_ref()
                        .is_some_and(|o| !o.iter().any(|n| n == f.name))
            })
            .map(|f| f.name)
            .collect())
    }

    fn where_q(&self) -> Option<Q> {
        match self.filters.len() {
            0 => None,
            1 => Some(self.filters[0].clone()),
            _ => Some(Q::And(self.filters.clone())),
        }
    }

    fn apply_where(&self, c: &mut Compiler, sel: &mut SelectStatement) -> Result<()> {
        if let Some(q) = self.where_q() {
            sel.cond_where(c.condition(&q)?);
        }
        Ok(())
    }

    fn apply_order(&self, c: &mut Compiler, sel: &mut SelectStatement) -> Result<()> {
        let order = self
            .order
            .clone()
            .unwrap_or_else(|| M::meta().ordering.clone());
        for spec in &order {
            let (expr, o) = c.order(spec)?;
            sel.order_by_expr(expr, o);
        }
        Ok(())
    }

    fn apply_slice(&self, sel: &mut SelectStatement) {
        if let Some(l) = self.limit {
            sel.limit(l);
        }
        if let Some(o) = self.offset {
            if self.limit.is_none() {
                // MySQL and SQLite need a LIMIT before OFFSET.
                sel.limit(i64::MAX as u64);
            }
            sel.offset(o);
        }
    }

    /// Build the SELECT for this QuerySet: the statement, how to decode its rows, and the
    /// compiler (for extra columns).
    pub(crate) fn compile(&self, backend: Backend) -> Result<(SelectStatement, Load, Compiler)> {
        self.compile_with(Compiler::new(backend, M::meta()))
    }

    fn compile_with(&self, mut c: Compiler) -> Result<(SelectStatement, Load, Compiler)> {
        let meta = M::meta();
        let mut sel = Query::select();
        if c.is_bare() {
            sel.from(meta.table.clone());
        } else {
            sel.from_as(meta.table.clone(), "t0");
        }
        let deferred = self.deferred()?;
        for f in &meta.fields {
            if !deferred.contains(&f.name) {
                sel.expr(c.col("t0", &f.column));
            }
        }
        let tree = related_tree(&self.related);
        let related = add_related(&mut c, &mut sel, meta, "t0", "", false, &tree)?;
        self.apply_where(&mut c, &mut sel)?;
        self.apply_order(&mut c, &mut sel)?;
        if self.distinct {
            sel.distinct();
        }
        self.apply_slice(&mut sel);
        Ok((sel, Load { deferred, related }, c))
    }

    /// Build the statement for this QuerySet (`cache::compiled` keeps it per shape), with
    /// the prefetch key column if any. A query that joins nothing names its table and
    /// columns without the `"t0"` alias.
    fn build(
        &self,
        backend: Backend,
        key: Option<&KeyColumn>,
    ) -> Result<(cache::Compiled, sea_query::Values)> {
        let meta = M::meta();
        // Compile without alias first; a query that needs a join is compiled again with
        // aliases (a miss of the cache only).
        let bare = match key {
            Some(KeyColumn::Through { .. }) => None,
            _ => Some(self.compile_with(Compiler::new_bare(backend, meta))?)
                .filter(|(_, _, c)| !c.has_joins()),
        };
        let (mut sel, load, c) = match bare {
            Some(compiled) => compiled,
            None => self.compile(backend)?,
        };
        let key_index = match key {
            None => 0,
            Some(KeyColumn::Own(column)) => {
                // The key is usually one of the selected columns (a foreign key): read it
                // there instead of selecting it twice.
                let own = meta
                    .fields
                    .iter()
                    .filter(|f| !load.deferred.contains(&f.name))
                    .position(|f| f.column == *column);
                match own {
                    Some(i) => i,
                    None => {
                        sel.expr(c.col("t0", column));
                        load_width(meta, &load)
                    }
                }
            }
            Some(KeyColumn::Through {
                table,
                source,
                target,
            }) => {
                sel.join_as(
                    sea_query::JoinType::InnerJoin,
                    table.clone(),
                    "tj",
                    Expr::col(("tj".to_string(), target.clone()))
                        .equals(("t0".to_string(), meta.pk().column.clone())),
                );
                sel.expr(col("tj", source));
                load_width(meta, &load)
            }
        };
        c.apply_joins(&mut sel);
        let (sql, values) = backend.build(&sel);
        let compiled = cache::Compiled {
            sql: sql.into(),
            load,
            key_index,
        };
        Ok((compiled, values))
    }

    /// The SQL and bound values this QuerySet would run on `backend` (for snapshots and
    /// debugging; values are never inlined).
    pub fn to_sql(&self, backend: Backend) -> Result<(String, sea_query::Values)> {
        let (compiled, values) = cache::compiled(self, backend, None)?;
        Ok((compiled.sql.to_string(), values))
    }

    /// [`to_sql`](Self::to_sql) built now, bypassing the compiled-SQL cache (for tests
    /// that check the cache serves the same SQL and values).
    #[doc(hidden)]
    pub fn to_sql_uncached(&self, backend: Backend) -> Result<(String, sea_query::Values)> {
        let (compiled, values) = self.build(backend, None)?;
        Ok((compiled.sql.to_string(), values))
    }

    /// Whether the compiled-SQL cache holds this QuerySet's shape on `backend` (for tests).
    #[doc(hidden)]
    pub fn sql_is_cached(&self, backend: Backend) -> bool {
        cache::Shape::of(self, backend, None).is_cached()
    }

    /// Run the query and return every object.
    pub async fn all(&self, db: &impl Executor) -> Result<Vec<M>> {
        self.all_hinted(db, None).await
    }

    pub(crate) async fn all_hinted(
        &self,
        db: &impl Executor,
        hint: Option<Hint>,
    ) -> Result<Vec<M>> {
        self.all_limited(db, hint, self.limit).await
    }

    /// [`all`](Self::all) with `limit` in place of this QuerySet's own.
    async fn all_limited(
        &self,
        db: &impl Executor,
        hint: Option<Hint>,
        limit: Option<u64>,
    ) -> Result<Vec<M>> {
        let conn = db.conn();
        let (compiled, values) = cache::compiled_limited(self, conn.backend(), None, limit)?;
        let load = &compiled.load;
        let decode = |r: Row| model::decode::<M>(&r, load);
        let mut objs = if limit == Some(1) {
            // `first()`, `[..1]`: at most one row, no row stream needed.
            let sql = compiled.sql.clone();
            let obj = conn.fetch_optional_map(sql, values, hint, decode).await?;
            obj.into_iter().collect()
        } else {
            conn.fetch_map(compiled.sql.clone(), values, hint, decode)
                .await?
        };
        self.run_prefetch(&mut objs, conn).await?;
        Ok(objs)
    }

    async fn run_prefetch(&self, objs: &mut [M], conn: Conn<'_>) -> Result<()> {
        if objs.is_empty() {
            return Ok(());
        }
        for lookup in prefetch::merge(&self.prefetch) {
            M::prefetch(objs, &lookup, conn).await?;
        }
        Ok(())
    }

    /// Run the query and read a key per row (for prefetching): the keys and the objects,
    /// in the same order.
    pub(crate) async fn all_keyed<K: FieldType + Send>(
        &self,
        conn: Conn<'_>,
        key: &KeyColumn,
    ) -> Result<(Vec<K>, Vec<M>)> {
        let (compiled, values) = cache::compiled(self, conn.backend(), Some(key))?;
        let (load, key_index) = (&compiled.load, compiled.key_index);
        let mut keys = Vec::new();
        let mut objs = conn
            .fetch_map(compiled.sql.clone(), values, None, |row| {
                let mut idx = 0;
                let obj = model::decode_at::<M>(&row, &mut idx, load)?;
                keys.push(K::decode(&row, key_index)?);
                Ok(obj)
            })
            .await?;
        self.run_prefetch(&mut objs, conn).await?;
        Ok((keys, objs))
    }

    /// Stream the objects as rows arrive (for big results; memory stays flat).
    /// `prefetch_related` does not apply to streams.
    pub fn stream(&self, db: &impl Executor) -> BoxStream<'static, Result<M>> {
        let conn = db.conn();
        let (compiled, values) = match cache::compiled(self, conn.backend(), None) {
            Ok(v) => v,
            Err(e) => return futures_util::stream::once(async move { Err(e) }).boxed(),
        };
        conn.fetch_stream_sql(compiled.sql.clone(), values)
            .map(move |row: Result<Row>| row.and_then(|r| model::decode::<M>(&r, &compiled.load)))
            .boxed()
    }

    /// The one object matching, or [`Error::DoesNotExist`] / [`Error::MultipleObjectsReturned`].
    pub async fn get(&self, db: &impl Executor) -> Result<M> {
        self.get_hinted(db, None).await
    }

    pub(crate) async fn get_hinted(&self, db: &impl Executor, hint: Option<Hint>) -> Result<M> {
        // Fetch at most 21 rows, like Django, to report a count without reading a table;
        // no limit where the primary key is pinned (one row at most: SQLite runs the
        // statement without a LIMIT to bind and count).
        let limit = if self.pins_one_row() {
            self.limit
        } else {
            self.limit.or(Some(21))
        };
        let mut objs = self.all_limited(db, hint, limit).await?;
        match objs.len() {
            0 => Err(Error::DoesNotExist { model: M::NAME }),
            1 => Ok(objs.pop().expect("one object")),
            n => Err(Error::MultipleObjectsReturned {
                model: M::NAME,
                count: n,
            }),
        }
    }

    /// Whether this QuerySet matches one row at most because it is filtered on the primary
    /// key alone: no other filter and no ordering that could join a to-many relation (and
    /// repeat the row), no offset.
    fn pins_one_row(&self) -> bool {
        let joins = |order: &[String]| order.iter().any(|o| o.contains("__"));
        !self.filters.is_empty()
            && self.filters.iter().all(|q| matches!(q, Q::Pk(_)))
            && self.offset.is_none()
            && match &self.order {
                Some(order) => !joins(order),
                None => !joins(&M::meta().ordering),
            }
    }

    /// The first object in order (by primary key when unordered), if any.
    pub async fn first(&self, db: &impl Executor) -> Result<Option<M>> {
        let mut qs = self.clone();
        if qs.order.is_none() && M::meta().ordering.is_empty() {
            qs.order = Some(vec![M::meta().pk().name.to_string()]);
        }
        Ok(qs.limit(1).all(db).await?.pop())
    }

    /// The last object in order (by primary key when unordered), if any.
    pub async fn last(&self, db: &impl Executor) -> Result<Option<M>> {
        let mut qs = self.clone();
        if qs.order.is_none() && M::meta().ordering.is_empty() {
            qs.order = Some(vec![M::meta().pk().name.to_string()]);
        }
        Ok(qs.reverse().limit(1).all(db).await?.pop())
    }

    /// The number of matching rows (`SELECT COUNT(*)`).
    pub async fn count(&self, db: &impl Executor) -> Result<u64> {
        let conn = db.conn();
        let (sql, values) = self.count_sql(conn.backend())?;
        let rows = conn.fetch_all(sql, values).await?;
        let n = rows
            .first()
            .map(|r| i64::decode(r, 0))
            .transpose()?
            .unwrap_or(0);
        Ok(n as u64)
    }

    /// The SQL and bound values [`count`](Self::count) runs on `backend` (a subquery when
    /// the QuerySet is sliced or distinct).
    pub fn count_sql(&self, backend: Backend) -> Result<(String, sea_query::Values)> {
        let meta = M::meta();
        let mut c = Compiler::new(backend, meta);
        let mut inner = Query::select();
        inner.from_as(meta.table.clone(), "t0");
        self.apply_where(&mut c, &mut inner)?;
        let sel = if self.distinct || self.limit.is_some() || self.offset.is_some() {
            inner.expr(col("t0", &meta.pk().column));
            if self.distinct {
                inner.distinct();
            }
            self.apply_slice(&mut inner);
            c.apply_joins(&mut inner);
            Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from_subquery(inner, "sub")
                .to_owned()
        } else {
            inner.expr(Expr::cust("COUNT(*)"));
            c.apply_joins(&mut inner);
            inner
        };
        Ok(backend.build(&sel))
    }

    /// Whether any row matches (`SELECT 1 ... LIMIT 1`).
    pub async fn exists(&self, db: &impl Executor) -> Result<bool> {
        let conn = db.conn();
        let meta = M::meta();
        let mut c = Compiler::new(conn.backend(), meta);
        let mut sel = Query::select();
        sel.from_as(meta.table.clone(), "t0").expr(Expr::cust("1"));
        self.apply_where(&mut c, &mut sel)?;
        sel.limit(1);
        if let Some(o) = self.offset {
            sel.offset(o);
        }
        c.apply_joins(&mut sel);
        let (sql, values) = conn.backend().build(&sel);
        Ok(!conn.fetch_all(sql, values).await?.is_empty())
    }

    /// The primary keys of the matching rows, as a subquery usable by UPDATE/DELETE on
    /// every backend (MySQL needs the extra derived table).
    pub(crate) fn pk_subquery(&self, backend: Backend) -> Result<Option<SelectStatement>> {
        if self.filters.is_empty() && self.limit.is_none() && self.offset.is_none() {
            return Ok(None);
        }
        let meta = M::meta();
        let mut c = Compiler::new(backend, meta);
        let mut inner = Query::select();
        inner
            .from_as(meta.table.clone(), "t0")
            .expr(col("t0", &meta.pk().column));
        self.apply_where(&mut c, &mut inner)?;
        if self.limit.is_some() || self.offset.is_some() {
            self.apply_order(&mut c, &mut inner)?;
            self.apply_slice(&mut inner);
        }
        c.apply_joins(&mut inner);
        Ok(Some(
            Query::select()
                .column(sea_query::Asterisk)
                .from_subquery(inner, "sub")
                .to_owned(),
        ))
    }

    /// Update every matching row in one statement: `[("stock", F::col("stock") + 1)]`.
    /// Sends no signals and does not touch `auto_now` fields (as in Django). Returns the
    /// number of rows changed.
    pub async fn update<S: AsRef<str>>(
        &self,
        db: &impl Executor,
        values: impl IntoIterator<Item = (S, F)>,
    ) -> Result<u64> {
        let conn = db.conn();
        let meta = M::meta();
        let mut stmt = Query::update();
        stmt.table(meta.table.clone());
        let mut any = false;
        for (name, f) in values {
            let field = meta
                .field(name.as_ref())
                .ok_or_else(|| Error::UnknownField {
                    model: meta.name,
                    name: name.as_ref().to_string(),
                    choices: meta.choices(),
                })?;
            if field.primary_key {
                return Err(Error::InvalidQuery(format!(
                    "update() cannot change the primary key {}",
                    field.name
                )));
            }
            stmt.value(field.column.clone(), update_expr(meta, &f)?);
            any = true;
        }
        if !any {
            return Ok(0);
        }
        if let Some(sub) = self.pk_subquery(conn.backend())? {
            stmt.and_where(Expr::col(meta.pk().column.clone()).in_subquery(sub));
        }
        let (sql, values) = conn.backend().build(&stmt);
        Ok(conn.execute(sql, values).await?.rows_affected)
    }

    /// Delete every matching object, following `on_delete` for the rows that point at them
    /// and sending `pre_delete`/`post_delete` for each deleted object (as Django does).
    /// Returns the number of objects of `M` deleted.
    pub async fn delete(&self, db: &impl Executor) -> Result<u64> {
        let objs = self.clone().order_by(Vec::<String>::new()).all(db).await?;
        crate::model::delete_objects(db, objs).await
    }

    /// The values of some fields (across relations too) as JSON objects, one per row
    /// (Django's `values()`); with [`annotate`](Self::values_annotate) to group.
    pub async fn values<S: AsRef<str>>(
        &self,
        db: &impl Executor,
        fields: impl IntoIterator<Item = S>,
    ) -> Result<Vec<serde_json::Map<String, serde_json::Value>>> {
        self.values_annotate(db, fields, Vec::<(String, Agg)>::new())
            .await
    }

    /// The values of some fields as tuples in the order asked (Django's `values_list`).
    pub async fn values_list<S: AsRef<str>>(
        &self,
        db: &impl Executor,
        fields: impl IntoIterator<Item = S>,
    ) -> Result<Vec<Vec<serde_json::Value>>> {
        let names: Vec<String> = fields.into_iter().map(|s| s.as_ref().to_string()).collect();
        let maps = self.values(db, &names).await?;
        Ok(maps
            .into_iter()
            .map(|mut m| {
                names
                    .iter()
                    .map(|n| m.remove(n).unwrap_or_default())
                    .collect()
            })
            .collect())
    }

    /// `values(fields)` grouped by those fields, with aggregates per group
    /// (`values("author__name").annotate(n=Count("id"))` in Django).
    pub async fn values_annotate<S: AsRef<str>, A: AsRef<str>>(
        &self,
        db: &impl Executor,
        fields: impl IntoIterator<Item = S>,
        annotations: impl IntoIterator<Item = (A, Agg)>,
    ) -> Result<Vec<serde_json::Map<String, serde_json::Value>>> {
        let conn = db.conn();
        let meta = M::meta();
        let mut c = Compiler::new(conn.backend(), meta);
        let mut sel = Query::select();
        sel.from_as(meta.table.clone(), "t0");
        let mut names = Vec::new();
        let mut hows = Vec::new();
        let mut group = Vec::new();
        for name in fields {
            let name = name.as_ref().to_string();
            let path: Vec<String> = name.split("__").map(str::to_string).collect();
            let r = c.resolve(&path)?;
            sel.expr(col(&r.alias, &r.field.column));
            group.push(col(&r.alias, &r.field.column));
            names.push(name);
            hows.push(JsonAs::field(r.field));
        }
        let annotations: Vec<(String, Agg)> = annotations
            .into_iter()
            .map(|(a, g)| (a.as_ref().to_string(), g))
            .collect();
        for (alias, agg) in &annotations {
            let (expr, how) = agg.compile(&mut c)?;
            sel.expr(expr);
            names.push(alias.clone());
            hows.push(how);
        }
        self.apply_where(&mut c, &mut sel)?;
        if !annotations.is_empty() && !group.is_empty() {
            for g in group {
                sel.add_group_by([g]);
            }
        }
        if let Some(order) = &self.order {
            for spec in order {
                let name = spec.trim_start_matches(['-', '+']);
                if let Some(pos) = annotations.iter().position(|(a, _)| a == name) {
                    let o = if spec.starts_with('-') {
                        sea_query::Order::Desc
                    } else {
                        sea_query::Order::Asc
                    };
                    sel.order_by_expr(annotations[pos].1.compile(&mut c)?.0, o);
                } else {
                    let (expr, o) = c.order(spec)?;
                    sel.order_by_expr(expr, o);
                }
            }
        }
        if self.distinct {
            sel.distinct();
        }
        self.apply_slice(&mut sel);
        c.apply_joins(&mut sel);
        let (sql, values) = conn.backend().build(&sel);
        let rows = conn.fetch_all(sql, values).await?;
        Ok(rows
            .iter()
            .map(|row| {
                names
                    .iter()
                    .zip(&hows)
                    .enumerate()
                    .map(|(i, (n, how))| (n.clone(), row.json_as(i, how)))
                    .collect::<serde_json::Map<_, _>>()
            })
            .collect())
    }

    /// Aggregates over all matching rows: `aggregate([("total", Agg::sum("price"))])`.
    pub async fn aggregate<A: AsRef<str>>(
        &self,
        db: &impl Executor,
        aggregates: impl IntoIterator<Item = (A, Agg)>,
    ) -> Result<serde_json::Map<String, serde_json::Value>> {
        let mut qs = self.clone();
        qs.order = Some(Vec::new());
        let mut rows = qs
            .values_annotate(db, Vec::<String>::new(), aggregates)
            .await?;
        Ok(rows.pop().unwrap_or_default())
    }

    /// Objects with computed values per object (Django's `annotate()` on model
    /// QuerySets): `[("n_comments", Agg::count("comments"))]`, grouped by the object.
    pub async fn annotate<A: AsRef<str>>(
        &self,
        db: &impl Executor,
        annotations: impl IntoIterator<Item = (A, Agg)>,
    ) -> Result<Vec<(M, serde_json::Map<String, serde_json::Value>)>> {
        let conn = db.conn();
        let (mut sel, load, mut c) = self.compile(conn.backend())?;
        if !load.related.is_empty() {
            return Err(Error::InvalidQuery(
                "annotate() with select_related is not supported; prefetch instead".into(),
            ));
        }
        let meta = M::meta();
        let annotations: Vec<(String, Agg)> = annotations
            .into_iter()
            .map(|(a, g)| (a.as_ref().to_string(), g))
            .collect();
        let mut hows = Vec::with_capacity(annotations.len());
        for (_, agg) in &annotations {
            let (expr, how) = agg.compile(&mut c)?;
            sel.expr(expr);
            hows.push(how);
        }
        for f in &meta.fields {
            if !load.deferred.contains(&f.name) {
                sel.add_group_by([col("t0", &f.column)]);
            }
        }
        c.apply_joins(&mut sel);
        let (sql, values) = conn.backend().build(&sel);
        let rows = conn.fetch_all(sql, values).await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut objs = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut idx = 0;
            objs.push(model::decode_at::<M>(row, &mut idx, &load)?);
            let extra = annotations
                .iter()
                .zip(&hows)
                .enumerate()
                .map(|(i, ((a, _), how))| (a.clone(), row.json_as(idx + i, how)))
                .collect::<serde_json::Map<_, _>>();
            out.push(extra);
        }
        self.run_prefetch(&mut objs, conn).await?;
        Ok(objs.into_iter().zip(out).collect())
    }

    /// Objects in one query each (the `in_bulk` of Django): primary key -> object.
    pub async fn in_bulk(&self, db: &impl Executor) -> Result<std::collections::HashMap<M::Pk, M>> {
        Ok(self
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.pk().clone(), o))
            .collect())
    }
}

/// A value or column expression for an UPDATE of `meta`'s table (columns unqualified).
fn update_expr(meta: &'static ModelMeta, f: &F) -> Result<Expr> {
    Ok(match f {
        F::Col(name) => {
            let field = meta.field(name).ok_or_else(|| Error::UnknownField {
                model: meta.name,
                name: name.clone(),
                choices: meta.choices(),
            })?;
            Expr::col(field.column.clone())
        }
        F::Value(v) => Expr::val(v.clone()),
        F::Add(a, b) => update_expr(meta, a)?.add(update_expr(meta, b)?),
        F::Sub(a, b) => update_expr(meta, a)?.sub(update_expr(meta, b)?),
        F::Mul(a, b) => update_expr(meta, a)?.mul(update_expr(meta, b)?),
        F::Div(a, b) => update_expr(meta, a)?.div(update_expr(meta, b)?),
    })
}

struct Node(String, Vec<Node>);

fn related_tree(paths: &[String]) -> Vec<Node> {
    let mut tree: Vec<Node> = Vec::new();
    for path in paths {
        let mut node = &mut tree;
        for seg in path.split("__") {
            let pos = match node.iter().position(|n| n.0 == seg) {
                Some(p) => p,
                None => {
                    node.push(Node(seg.to_string(), Vec::new()));
                    node.len() - 1
                }
            };
            node = &mut node[pos].1;
        }
    }
    tree
}

fn add_related(
    c: &mut Compiler,
    sel: &mut SelectStatement,
    meta: &'static ModelMeta,
    alias: &str,
    key: &str,
    left: bool,
    tree: &[Node],
) -> Result<Vec<(&'static str, Load)>> {
    let mut out = Vec::new();
    for Node(name, children) in tree {
        let field = meta.field(name).ok_or_else(|| {
            if meta.m2m(name).is_some() || meta.reverse_rel(name).is_some() {
                Error::InvalidQuery(format!(
                    "select_related follows foreign keys only; {}.{name} is a to-many \
                     relation: use prefetch_related(\"{name}\")",
                    meta.name
                ))
            } else {
                Error::UnknownField {
                    model: meta.name,
                    name: name.to_string(),
                    choices: meta.choices(),
                }
            }
        })?;
        let target = match (&field.kind, field.related) {
            (FieldKind::ForeignKey(_), Some(rel)) => rel.meta(),
            _ => {
                return Err(Error::InvalidQuery(format!(
                    "select_related follows foreign keys only; {}.{name} is not one \
                     (use prefetch_related for to-many relations)",
                    meta.name
                )));
            }
        };
        let (a, a_left) = c.join_related(alias, key, field, target, left);
        for f in &target.fields {
            sel.expr(col(&a, &f.column));
        }
        let sub = add_related(
            c,
            sel,
            target,
            &a,
            &format!("{key}__{name}"),
            a_left,
            children,
        )?;
        out.push((
            field.name,
            Load {
                deferred: Vec::new(),
                related: sub,
            },
        ));
    }
    Ok(out)
}

/// How many columns a `select_related` subtree takes in a row (to skip a NULL relation).
#[doc(hidden)]
pub fn load_width(meta: &'static ModelMeta, load: &Load) -> usize {
    let own = meta.fields.len() - load.deferred.len();
    own + load
        .related
        .iter()
        .map(|(name, sub)| {
            let target = meta.field(name).and_then(|f| f.related).map(|r| r.meta());
            target.map_or(0, |t| load_width(t, sub))
        })
        .sum::<usize>()
}

/// Raw SQL with bound parameters, the escape hatch: rows decoded as `M` (the SELECT must
/// return `M`'s columns in field order).
///
/// ```no_run
/// # use trellis_orm::prelude::*;
/// # #[derive(Model, Debug, Clone)] #[model(app = "shop")] pub struct Product { pub id: i64, pub stock: i32 }
/// # async fn demo(db: &Db) -> trellis_orm::Result<()> {
/// let low = trellis_orm::raw::<Product>(db, "SELECT id, stock FROM shop_product WHERE stock < $1", [5.into()]).await?;
/// # Ok(()) }
/// ```
pub async fn raw<M: Model>(
    db: &impl Executor,
    sql: &str,
    params: impl IntoIterator<Item = Value>,
) -> Result<Vec<M>> {
    let rows = raw_rows(db, sql, params).await?;
    let load = Load::default();
    rows.iter().map(|r| model::decode::<M>(r, &load)).collect()
}

/// Raw SQL with bound parameters, rows returned undecoded. Placeholders are the backend's
/// own (`$1` on PostgreSQL, `?` elsewhere).
pub async fn raw_rows(
    db: &impl Executor,
    sql: &str,
    params: impl IntoIterator<Item = Value>,
) -> Result<Vec<Row>> {
    let values = sea_query::Values(params.into_iter().collect());
    db.conn().fetch_all(sql.to_string(), values).await
}

/// Raw SQL statement with bound parameters; returns the rows affected.
pub async fn raw_execute(
    db: &impl Executor,
    sql: &str,
    params: impl IntoIterator<Item = Value>,
) -> Result<u64> {
    let values = sea_query::Values(params.into_iter().collect());
    Ok(db
        .conn()
        .execute(sql.to_string(), values)
        .await?
        .rows_affected)
}
