//! The model registry: every model an app installs (and every model used so far), so that
//! deletes can follow the foreign keys that point at a model, and migrations can list an
//! app's models.

use std::sync::{LazyLock, RwLock};

use futures_util::future::BoxFuture;
use sea_query::Value;

use crate::backend::Conn;
use crate::error::Result;
use crate::model::{Model, ModelMeta};
use crate::query::Q;

type WhereFn = for<'a> fn(Conn<'a>, Q, &'a Chain) -> BoxFuture<'a, Result<u64>>;
type CountFn = for<'a> fn(Conn<'a>, Q) -> BoxFuture<'a, Result<u64>>;

/// The objects a delete is removing, outermost first: `(app.Model, primary keys)`.
pub(crate) type Chain = Vec<(String, Vec<Value>)>;

/// A registered model, type-erased.
#[derive(Clone, Copy)]
pub struct Entry {
    /// The model's metadata.
    pub meta: fn() -> &'static ModelMeta,
    pub(crate) delete_where: WhereFn,
    pub(crate) count_where: CountFn,
}

static MODELS: LazyLock<RwLock<Vec<Entry>>> = LazyLock::new(Default::default);

fn delete_where<'a, M: Model>(
    conn: Conn<'a>,
    q: Q,
    chain: &'a Chain,
) -> BoxFuture<'a, Result<u64>> {
    Box::pin(async move {
        let objs = M::objects()
            .order_by(Vec::<String>::new())
            .filter(q)
            .all(&conn)
            .await?;
        crate::model::persist::delete_inner::<M>(conn, objs, chain).await
    })
}

fn count_where<'a, M: Model>(conn: Conn<'a>, q: Q) -> BoxFuture<'a, Result<u64>> {
    Box::pin(async move { M::objects().filter(q).count(&conn).await })
}

/// Register model `M` (idempotent). Apps register their models; a model is also
/// registered the first time its metadata is read.
pub fn register<M: Model>() {
    let entry = Entry {
        meta: M::meta,
        delete_where: delete_where::<M>,
        count_where: count_where::<M>,
    };
    let mut models = MODELS.write().unwrap();
    // Compare by function address: one entry per model type.
    if !models
        .iter()
        .any(|e| std::ptr::fn_addr_eq(e.delete_where, entry.delete_where))
    {
        models.push(entry);
    }
}

/// Every registered model.
pub fn models() -> Vec<Entry> {
    MODELS.read().unwrap().clone()
}

/// The registered models of app `label`, in registration order.
pub fn app_models(label: &str) -> Vec<&'static ModelMeta> {
    models()
        .into_iter()
        .map(|e| (e.meta)())
        .filter(|m| m.app_label == label)
        .collect()
}
