//! Saving and deleting objects: [`ModelExt`] (`save`, `insert`, `delete`, `refresh`) and
//! the bulk operations, with signals and `on_delete` handling.

use futures_util::future::BoxFuture;
use sea_query::{Expr, ExprTrait, Query, Value};

use crate::backend::{Backend, Conn, Executor};
use crate::error::{Error, Result};
use crate::field::{DefaultValue, FieldKind, FieldType, OnDelete};
use crate::model::{Model, insert, registry, update};
use crate::query::{Q, QuerySet};
use crate::signals::{self, PostDelete, PostSave, PreDelete, PreSave};

/// Instance and bulk operations on every model.
///
/// ```no_run
/// # use trellis_orm::prelude::*;
/// # #[derive(Model, Debug, Clone)] #[model(app = "blog")] pub struct Tag { pub id: i64, #[field(max_length = 30)] pub name: String }
/// # async fn demo(db: &Db) -> trellis_orm::Result<()> {
/// let mut tag = Tag { id: 0, name: "rust".into() };
/// tag.save(db).await?; // INSERT (id was 0), id set from the database
/// tag.name = "Rust".into();
/// tag.save(db).await?; // UPDATE
/// tag.delete(db).await?;
/// # Ok(()) }
/// ```
pub trait ModelExt: Model {
    /// Insert (no primary key yet) or update (primary key set; inserts if no row has it).
    fn save<'a>(
        &'a mut self,
        db: &'a impl Executor,
    ) -> impl Future<Output = Result<()>> + Send + 'a {
        save(self, db, None)
    }

    /// Update only these fields (Django's `save(update_fields=[...])`).
    fn save_fields<'a>(
        &'a mut self,
        db: &'a impl Executor,
        fields: &'a [&'a str],
    ) -> impl Future<Output = Result<()>> + Send + 'a {
        save(self, db, Some(fields))
    }

    /// Insert a new row (errors if the primary key exists).
    fn insert<'a>(
        &'a mut self,
        db: &'a impl Executor,
    ) -> impl Future<Output = Result<()>> + Send + 'a {
        async move {
            let created = insert(self, db).await?;
            debug_assert!(created);
            Ok(())
        }
    }

    /// Delete this object, following `on_delete` for rows pointing at it; returns the
    /// number of `Self` rows deleted (0 or 1).
    fn delete<'a>(
        &'a self,
        db: &'a impl Executor,
    ) -> impl Future<Output = Result<u64>> + Send + 'a {
        delete_objects(db, vec![self.clone()])
    }

    /// Reload every field from the database.
    fn refresh<'a>(
        &'a mut self,
        db: &'a impl Executor,
    ) -> impl Future<Output = Result<()>> + Send + 'a {
        async move {
            let fresh = Self::objects()
                .filter(Q::pk(self.pk().to_value()))
                .get(db)
                .await?;
            *self = fresh;
            Ok(())
        }
    }

    /// Fetch the object with primary key `pk`.
    fn get_by_pk<'a>(
        db: &'a impl Executor,
        pk: Self::Pk,
    ) -> impl Future<Output = Result<Self>> + Send + 'a {
        async move { Self::objects().filter(Q::pk(pk.to_value())).get(db).await }
    }
}

impl<M: Model> ModelExt for M {}

async fn send_pre_save<M: Model>(obj: &M, fields: Option<&[&str]>) {
    let signal = signals::pre_save::<M>();
    if signal.has_receivers() {
        let update_fields = fields.map(|f| f.iter().map(|s| s.to_string()).collect());
        signal
            .send(PreSave {
                instance: obj.clone(),
                update_fields,
            })
            .await;
    }
}

async fn send_post_save<M: Model>(obj: &M, created: bool, fields: Option<&[&str]>) {
    let signal = signals::post_save::<M>();
    if signal.has_receivers() {
        let update_fields = fields.map(|f| f.iter().map(|s| s.to_string()).collect());
        signal
            .send(PostSave {
                instance: obj.clone(),
                created,
                update_fields,
            })
            .await;
    }
}

fn is_auto_pk<M: Model>() -> bool {
    matches!(M::meta().pk().kind, FieldKind::BigAuto)
}

pub(crate) async fn save<M: Model>(
    obj: &mut M,
    db: &impl Executor,
    fields: Option<&[&str]>,
) -> Result<()> {
    if !obj.has_pk() {
        insert(obj, db).await?;
        return Ok(());
    }
    let meta = M::meta();
    if let Some(names) = fields {
        for name in names {
            if meta.field(name).is_none() {
                return Err(Error::UnknownField {
                    model: meta.name,
                    name: name.to_string(),
                    choices: meta.choices(),
                });
            }
        }
    }
    obj.touch(false);
    send_pre_save(obj, fields).await;
    let conn = db.conn();
    let values = obj.column_values();
    let mut stmt = Query::update();
    stmt.table(meta.table.clone());
    let mut any = false;
    for (f, v) in meta.fields.iter().zip(values) {
        if f.primary_key || f.auto_now_add {
            continue;
        }
        if let Some(names) = fields
            && !names.contains(&f.name)
            && !f.auto_now
        {
            continue;
        }
        stmt.value(f.column.clone(), v);
        any = true;
    }
    let pk = obj.pk().to_value();
    stmt.and_where(Expr::col(meta.pk().column.clone()).eq(pk.clone()));
    let updated = if any {
        let (sql, values) = conn.backend().build(&stmt);
        conn.execute(sql, values).await?.rows_affected
    } else {
        u64::from(M::objects().filter(Q::pk(pk)).exists(&conn).await?)
    };
    // Rows *matched*, on MySQL too: sqlx connects with CLIENT_FOUND_ROWS, so saving an
    // unchanged row reads 1 (`resave_unchanged_object_updates_in_place` pins it).
    if updated == 0 {
        if fields.is_some() {
            return Err(Error::DoesNotExist { model: M::NAME });
        }
        insert_row(obj, conn).await?;
        send_post_save(obj, true, None).await;
        return Ok(());
    }
    send_post_save(obj, false, fields).await;
    Ok(())
}

/// Insert `obj`; returns true (created).
pub(crate) async fn insert<M: Model>(obj: &mut M, db: &impl Executor) -> Result<bool> {
    obj.touch(true);
    send_pre_save(obj, None).await;
    insert_row(obj, db.conn()).await?;
    send_post_save(obj, true, None).await;
    Ok(true)
}

fn fill_uuid_pk<M: Model>(obj: &mut M) {
    if matches!(M::meta().pk().kind, FieldKind::Uuid) && !obj.has_pk() {
        let id = uuid::Uuid::new_v4();
        let row_value = Value::Uuid(Some(id));
        // The primary key type is `Uuid`: set it through the Value round trip.
        if let Some(pk) = pk_from_value::<M>(&row_value) {
            obj.set_pk(pk);
        }
    }
}

fn pk_from_value<M: Model>(v: &Value) -> Option<M::Pk> {
    let any: Box<dyn std::any::Any> = match v {
        Value::Uuid(Some(u)) => Box::new(*u),
        Value::BigInt(Some(i)) => Box::new(*i),
        _ => return None,
    };
    any.downcast::<M::Pk>().ok().map(|b| *b)
}

async fn insert_row<M: Model>(obj: &mut M, conn: Conn<'_>) -> Result<()> {
    fill_uuid_pk(obj);
    let auto = is_auto_pk::<M>() && !obj.has_pk();
    if !insert::has_columns::<M>(auto) {
        return insert_default_row(obj, conn, auto).await;
    }
    let backend = conn.backend();
    let returning = auto && backend.features().can_return_rows_from_insert;
    let sql = insert::sql::<M>(backend, auto, 1, returning);
    let values = insert::values(std::slice::from_ref(obj), auto);
    if returning {
        let id = conn
            .fetch_optional_map(sql, values, None, |row| M::Pk::decode(&row, 0))
            .await?
            .ok_or_else(|| Error::InvalidQuery("INSERT returned no row".into()))?;
        obj.set_pk(id);
    } else {
        let result = conn.execute_sql(sql, values).await?;
        if auto {
            let id = result
                .last_insert_id
                .and_then(M::Pk::from_auto_id)
                .ok_or_else(|| Error::InvalidQuery("no id for the inserted row".into()))?;
            obj.set_pk(id);
        }
    }
    obj.bind_relations();
    Ok(())
}

/// Insert a row of a model that has no column but its auto primary key
/// (`DEFAULT VALUES`, written by sea-query for each backend).
async fn insert_default_row<M: Model>(obj: &mut M, conn: Conn<'_>, auto: bool) -> Result<()> {
    let meta = M::meta();
    let mut stmt = Query::insert();
    stmt.into_table(meta.table.clone());
    stmt.or_default_values();
    let backend = conn.backend();
    if auto && backend.features().can_return_rows_from_insert {
        stmt.returning_col(meta.pk().column.clone());
        let (sql, values) = backend.build(&stmt);
        let rows = conn.fetch_all(sql, values).await?;
        let row = rows
            .first()
            .ok_or_else(|| Error::InvalidQuery("INSERT returned no row".into()))?;
        obj.set_pk(M::Pk::decode(row, 0)?);
    } else {
        let (sql, values) = backend.build(&stmt);
        let result = conn.execute(sql, values).await?;
        if auto {
            let id = result
                .last_insert_id
                .and_then(M::Pk::from_auto_id)
                .ok_or_else(|| Error::InvalidQuery("no id for the inserted row".into()))?;
            obj.set_pk(id);
        }
    }
    obj.bind_relations();
    Ok(())
}

/// The INSERT statement [`bulk_create`] runs for `rows` new objects of `M` (primary keys
/// not set) on `backend` (for snapshots and debugging).
pub fn bulk_create_sql<M: Model>(backend: Backend, rows: usize) -> String {
    let skip_pk = is_auto_pk::<M>();
    let returning = skip_pk && backend.features().can_return_rows_from_insert;
    insert::sql::<M>(backend, skip_pk, rows, returning).to_string()
}

/// Insert many objects in as few statements as the backend allows; primary keys are set
/// on the returned objects (RETURNING on PostgreSQL/SQLite; consecutive ids on MySQL).
/// Sends no signals (as in Django).
///
/// On MySQL/MariaDB the ids are computed from `LAST_INSERT_ID()` (the first id of the
/// statement) assuming InnoDB hands a multi-row insert consecutive ids, which holds for
/// `innodb_autoinc_lock_mode` 0 and 1 (MariaDB's default) and for simple inserts in mode 2,
/// with `auto_increment_increment = 1`. Django does not set them on MySQL at all.
pub async fn bulk_create<M: Model>(db: &impl Executor, mut objs: Vec<M>) -> Result<Vec<M>> {
    if objs.is_empty() {
        return Ok(objs);
    }
    let conn = db.conn();
    let backend = conn.backend();
    let meta = M::meta();
    let auto = is_auto_pk::<M>();
    let per_row = meta.fields.len().max(1);
    let batch = (backend.features().max_query_params / per_row).clamp(1, 1000);
    for obj in objs.iter_mut() {
        obj.touch(true);
        fill_uuid_pk(obj);
    }
    let mut start = 0;
    while start < objs.len() {
        let end = (start + batch).min(objs.len());
        let chunk = &mut objs[start..end];
        let skip_pk = auto && chunk.iter().all(|o| !o.has_pk());
        if !insert::has_columns::<M>(skip_pk) {
            for obj in chunk.iter_mut() {
                insert_default_row(obj, conn, skip_pk).await?;
            }
            start = end;
            continue;
        }
        let returning = skip_pk && backend.features().can_return_rows_from_insert;
        let sql = insert::sql::<M>(backend, skip_pk, chunk.len(), returning);
        let values = insert::values(chunk, skip_pk);
        if returning {
            let ids = conn
                .fetch_map(sql, values, None, |row| M::Pk::decode(&row, 0))
                .await?;
            // RETURNING order follows VALUES order on PostgreSQL and SQLite.
            for (obj, id) in chunk.iter_mut().zip(ids) {
                obj.set_pk(id);
            }
        } else {
            let result = conn.execute_sql(sql, values).await?;
            if skip_pk {
                // MySQL: LAST_INSERT_ID() is the first id of a multi-row insert, and ids
                // are consecutive (innodb_autoinc_lock_mode 1/2 for simple inserts).
                let first = result.last_insert_id.unwrap_or(0);
                for (i, obj) in chunk.iter_mut().enumerate() {
                    if let Some(pk) = M::Pk::from_auto_id(first + i as i64) {
                        obj.set_pk(pk);
                    }
                }
            }
        }
        start = end;
    }
    for obj in objs.iter_mut() {
        obj.bind_relations();
    }
    Ok(objs)
}

/// Update `fields` of many objects with one statement per batch (`CASE` on the primary
/// key). Sends no signals (as in Django). Returns the number of rows updated.
///
/// A field named twice is set once. The statement's text is kept per model, field list,
/// batch size and backend, so repeated calls only bind their values.
pub async fn bulk_update<M: Model>(db: &impl Executor, objs: &[M], fields: &[&str]) -> Result<u64> {
    if objs.is_empty() || fields.is_empty() {
        return Ok(0);
    }
    let conn = db.conn();
    let backend = conn.backend();
    let meta = M::meta();
    let mut idxs = Vec::with_capacity(fields.len());
    for name in fields {
        let idx = meta.field_index(name).ok_or_else(|| Error::UnknownField {
            model: meta.name,
            name: name.to_string(),
            choices: meta.choices(),
        })?;
        if meta.fields[idx].primary_key {
            return Err(Error::InvalidQuery(
                "bulk_update cannot change primary keys".into(),
            ));
        }
        if !idxs.contains(&idx) {
            idxs.push(idx);
        }
    }
    let mut total = 0;
    for chunk in objs.chunks(500) {
        let (sql, fields) = update::sql::<M>(backend, idxs, chunk.len());
        idxs = fields;
        let values = update::values(backend, chunk, &idxs);
        total += if values.0.iter().all(|v| update::binds_plainly(backend, v)) {
            conn.execute_sql(sql, values).await?.rows_affected
        } else {
            let (sql, values) = bulk_update_statement(backend, chunk, &idxs);
            conn.execute(sql, values).await?.rows_affected
        };
    }
    Ok(total)
}

/// The statement of [`bulk_update`] built with sea-query (for values the cached text
/// cannot bind as they are: PostgreSQL enums, which sea-query casts).
fn bulk_update_statement<M: Model>(
    backend: Backend,
    chunk: &[M],
    idxs: &[usize],
) -> (String, sea_query::Values) {
    let meta = M::meta();
    let pk_col = meta.pk().column.clone();
    let values: Vec<Vec<Value>> = chunk.iter().map(|o| o.column_values()).collect();
    let mut stmt = Query::update();
    stmt.table(meta.table.clone());
    for &idx in idxs {
        let mut case = sea_query::CaseStatement::new();
        for (obj, vals) in chunk.iter().zip(&values) {
            case = case.case(
                Expr::col(pk_col.clone()).eq(obj.pk().to_value()),
                Expr::val(vals[idx].clone()),
            );
        }
        case = case.finally(Expr::col(meta.fields[idx].column.clone()));
        stmt.value(meta.fields[idx].column.clone(), case);
    }
    stmt.and_where(Expr::col(pk_col).is_in(chunk.iter().map(|o| o.pk().to_value())));
    backend.build(&stmt)
}

/// The object matching `q`, or a new one from `create()` inserted now; `(object, created)`.
///
/// The insert runs in its own savepoint inside a transaction, so that losing a race on a
/// unique constraint (another request inserted the same object first) leaves the
/// transaction usable: the other object is read and returned with `created == false`.
pub async fn get_or_create<M: Model>(
    db: &impl Executor,
    q: Q,
    create: impl FnOnce() -> M + Send,
) -> Result<(M, bool)> {
    let qs: QuerySet<M> = M::objects().filter(q);
    match qs.get(db).await {
        Ok(obj) => Ok((obj, false)),
        Err(Error::DoesNotExist { .. }) => {
            let mut obj = create();
            let inserted = match db.conn() {
                Conn::Tx(tx) => {
                    let obj = &mut obj;
                    tx.atomic(|sp| async move { insert(obj, &sp).await }).await
                }
                Conn::Db(_) => insert(&mut obj, db).await,
            };
            match inserted {
                Ok(_) => Ok((obj, true)),
                // Lost a race on a unique constraint: the other insert won; read it.
                Err(Error::Database(e)) if is_unique_violation(&e) => {
                    Ok((qs.get(db).await?, false))
                }
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// Update the object matching `q` with `update(&mut obj)` and save it, or create one with
/// `create()`; `(object, created)`.
pub async fn update_or_create<M: Model>(
    db: &impl Executor,
    q: Q,
    update: impl FnOnce(&mut M) + Send,
    create: impl FnOnce() -> M + Send,
) -> Result<(M, bool)> {
    match M::objects().filter(q).get(db).await {
        Ok(mut obj) => {
            update(&mut obj);
            save(&mut obj, db, None).await?;
            Ok((obj, false))
        }
        Err(Error::DoesNotExist { .. }) => {
            let mut obj = create();
            insert(&mut obj, db).await?;
            Ok((obj, true))
        }
        Err(e) => Err(e),
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Delete `objs` with their dependents, in one transaction (a savepoint inside one).
pub(crate) async fn delete_objects<M: Model>(db: &impl Executor, objs: Vec<M>) -> Result<u64> {
    if objs.is_empty() {
        return Ok(0);
    }
    match db.conn() {
        Conn::Db(d) => {
            d.atomic(|tx| async move { delete_inner::<M>(Conn::Tx(&tx), objs, &Vec::new()).await })
                .await
        }
        Conn::Tx(t) => {
            t.atomic(|tx| async move { delete_inner::<M>(Conn::Tx(&tx), objs, &Vec::new()).await })
                .await
        }
    }
}

/// The collector: signals, `on_delete` of every foreign key pointing at `M`, join-table
/// rows, then the rows themselves. `chain` holds the objects this delete is already
/// removing (the cascade path to here), for `Restrict`.
///
/// `Restrict` follows Django: rows restricting the objects block the delete, unless a
/// `Cascade` key of theirs points at an object this same delete removes (a track restricts
/// its album, but deleting the artist deletes both). Only cascades on the path to here are
/// seen, not those a sibling branch would reach later.
pub(crate) fn delete_inner<'a, M: Model>(
    conn: Conn<'a>,
    objs: Vec<M>,
    chain: &'a registry::Chain,
) -> BoxFuture<'a, Result<u64>> {
    Box::pin(async move {
        if objs.is_empty() {
            return Ok(0);
        }
        let meta = M::meta();
        let label = meta.label();
        let pks: Vec<Value> = objs.iter().map(|o| o.pk().to_value()).collect();
        let mut chain = chain.clone();
        chain.push((label.clone(), pks.clone()));
        let pre = signals::pre_delete::<M>();
        if pre.has_receivers() {
            for obj in &objs {
                pre.send(PreDelete {
                    instance: obj.clone(),
                })
                .await;
            }
        }
        for entry in registry::models() {
            let other = (entry.meta)();
            for f in &other.fields {
                let Some(rel) = f.relation() else { continue };
                if rel.to != label {
                    continue;
                }
                let referencing = Q::lookup_in(f.name, pks.clone());
                let protected = || Error::Protected {
                    model: meta.name,
                    field: format!("{}.{}", other.name, f.name),
                };
                match rel.on_delete {
                    OnDelete::Cascade => {
                        (entry.delete_where)(conn, referencing, &chain).await?;
                    }
                    OnDelete::Protect => {
                        if (entry.count_where)(conn, referencing).await? > 0 {
                            return Err(protected());
                        }
                    }
                    OnDelete::Restrict => {
                        if (entry.count_where)(conn, referencing.clone()).await? == 0 {
                            continue;
                        }
                        // Rows a cascade of this delete removes anyway do not restrict.
                        let doomed: Vec<Q> = other
                            .fields
                            .iter()
                            .filter_map(|g| g.relation().map(|r| (g, r)))
                            .filter(|(_, r)| r.on_delete == OnDelete::Cascade)
                            .flat_map(|(g, r)| {
                                chain
                                    .iter()
                                    .filter(move |(l, _)| *l == r.to)
                                    .map(move |(_, ids)| Q::lookup_in(g.name, ids.clone()))
                            })
                            .collect();
                        if doomed.is_empty()
                            || (entry.count_where)(conn, referencing.clone() & !Q::Or(doomed))
                                .await?
                                > 0
                        {
                            return Err(protected());
                        }
                        // Delete them now, before the rows they restrict.
                        (entry.delete_where)(conn, referencing, &chain).await?;
                    }
                    OnDelete::SetNull | OnDelete::SetDefault => {
                        let value = if rel.on_delete == OnDelete::SetNull {
                            Value::BigInt(None)
                        } else {
                            match &f.default {
                                Some(DefaultValue::Value(v)) => v.clone(),
                                _ => {
                                    return Err(Error::InvalidQuery(format!(
                                        "{}.{} is SET_DEFAULT but has no default",
                                        other.name, f.name
                                    )));
                                }
                            }
                        };
                        let stmt = Query::update()
                            .table(other.table.clone())
                            .value(f.column.clone(), value)
                            .and_where(Expr::col(f.column.clone()).is_in(pks.clone()))
                            .to_owned();
                        let (sql, values) = conn.backend().build(&stmt);
                        conn.execute(sql, values).await?;
                    }
                    OnDelete::DoNothing => {}
                }
            }
            for m2m in &other.many_to_many {
                if m2m.to == label {
                    let stmt = Query::delete()
                        .from_table(m2m.through_table.clone())
                        .and_where(Expr::col(m2m.target_column.clone()).is_in(pks.clone()))
                        .to_owned();
                    let (sql, values) = conn.backend().build(&stmt);
                    conn.execute(sql, values).await?;
                }
            }
        }
        for m2m in &meta.many_to_many {
            let stmt = Query::delete()
                .from_table(m2m.through_table.clone())
                .and_where(Expr::col(m2m.source_column.clone()).is_in(pks.clone()))
                .to_owned();
            let (sql, values) = conn.backend().build(&stmt);
            conn.execute(sql, values).await?;
        }
        let mut deleted = 0;
        for chunk in pks.chunks(2000) {
            let stmt = Query::delete()
                .from_table(meta.table.clone())
                .and_where(Expr::col(meta.pk().column.clone()).is_in(chunk.to_vec()))
                .to_owned();
            let (sql, values) = conn.backend().build(&stmt);
            deleted += conn.execute(sql, values).await?.rows_affected;
        }
        let post = signals::post_delete::<M>();
        if post.has_receivers() {
            for obj in objs {
                post.send(PostDelete { instance: obj }).await;
            }
        }
        Ok(deleted)
    })
}
