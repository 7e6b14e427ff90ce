//! Signals (Django's `pre_save`, `post_save`, `pre_delete`, `post_delete`,
//! `m2m_changed`): async receivers connected per model, from anywhere (a receiver in app B
//! on a model of app A), run in connection order inside the operation that sends them.
//!
//! As in Django: `save()`/`insert()`/`delete()` on an object send them; `bulk_create`,
//! `bulk_update` and `QuerySet::update` send none; `QuerySet::delete` sends
//! `pre_delete`/`post_delete` for every object it deletes (cascades included).
//!
//! ```
//! use trellis_orm::prelude::*;
//! use trellis_orm::signals;
//! # #[derive(Model, Debug, Clone)] #[model(app = "blog")] pub struct Post { pub id: i64 }
//! signals::post_save::<Post>().connect(|event| async move {
//!     if event.created {
//!         println!("new post {}", event.instance.id);
//!     }
//! });
//! ```

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, LazyLock, RwLock};

use futures_util::future::BoxFuture;
use sea_query::Value;

use crate::model::Model;

/// Sent before an object is saved.
#[derive(Debug, Clone)]
pub struct PreSave<M> {
    /// The object about to be saved.
    pub instance: M,
    /// The fields being saved (`None`: all).
    pub update_fields: Option<Vec<String>>,
}

/// Sent after an object is saved.
#[derive(Debug, Clone)]
pub struct PostSave<M> {
    /// The saved object (with its primary key).
    pub instance: M,
    /// Whether a row was inserted (false: updated).
    pub created: bool,
    /// The fields saved (`None`: all).
    pub update_fields: Option<Vec<String>>,
}

/// Sent before an object is deleted.
#[derive(Debug, Clone)]
pub struct PreDelete<M> {
    /// The object about to be deleted.
    pub instance: M,
}

/// Sent after an object is deleted.
#[derive(Debug, Clone)]
pub struct PostDelete<M> {
    /// The deleted object.
    pub instance: M,
}

/// What changed in a many-to-many relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum M2MAction {
    /// Before links are added.
    PreAdd,
    /// After links are added.
    PostAdd,
    /// Before links are removed.
    PreRemove,
    /// After links are removed.
    PostRemove,
    /// Before every link is removed.
    PreClear,
    /// After every link is removed.
    PostClear,
}

/// Sent when the links of a many-to-many relation change (one signal for every relation:
/// check [`is`](Self::is) for the one you watch, as Django receivers check `sender`).
#[derive(Debug, Clone)]
pub struct M2MChanged {
    /// What happened.
    pub action: M2MAction,
    /// The model declaring the relation (`Post`).
    pub model: &'static str,
    /// The relation's field name (`tags`).
    pub field: &'static str,
    /// The primary key of the object whose links changed.
    pub instance_pk: Value,
    /// The primary keys of the related objects (`None` for clear).
    pub pk_set: Option<Vec<Value>>,
}

impl M2MChanged {
    /// Whether this event is about relation `field` of model `M`.
    pub fn is<M: Model>(&self, field: &str) -> bool {
        self.model == M::NAME && self.field == field
    }
}

type Erased = Arc<dyn Fn(Arc<dyn Any + Send + Sync>) -> BoxFuture<'static, ()> + Send + Sync>;

struct Entry {
    id: u64,
    receiver: Erased,
}

#[derive(Default)]
struct Registry {
    next: u64,
    receivers: HashMap<TypeId, Vec<Entry>>,
}

static REGISTRY: LazyLock<RwLock<Registry>> = LazyLock::new(Default::default);

/// A signal carrying events of type `E`.
pub struct Signal<E> {
    _e: PhantomData<fn() -> E>,
}

/// A connected receiver; [`disconnect`](Self::disconnect) removes it.
#[derive(Debug, Clone, Copy)]
pub struct Connection {
    signal: TypeId,
    id: u64,
}

impl Connection {
    /// Stop receiving.
    pub fn disconnect(self) {
        let mut reg = REGISTRY.write().unwrap();
        if let Some(list) = reg.receivers.get_mut(&self.signal) {
            list.retain(|e| e.id != self.id);
        }
    }
}

impl<E: Clone + Send + Sync + 'static> Signal<E> {
    /// Connect an async receiver.
    pub fn connect<F, Fut>(&self, receiver: F) -> Connection
    where
        F: Fn(E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let erased: Erased = Arc::new(move |event: Arc<dyn Any + Send + Sync>| {
            let event = event
                .downcast_ref::<E>()
                .expect("signal event type")
                .clone();
            Box::pin(receiver(event))
        });
        let mut reg = REGISTRY.write().unwrap();
        reg.next += 1;
        let id = reg.next;
        let signal = TypeId::of::<E>();
        reg.receivers.entry(signal).or_default().push(Entry {
            id,
            receiver: erased,
        });
        Connection { signal, id }
    }

    /// Whether any receiver is connected (senders skip building events otherwise).
    pub fn has_receivers(&self) -> bool {
        REGISTRY
            .read()
            .unwrap()
            .receivers
            .get(&TypeId::of::<E>())
            .is_some_and(|l| !l.is_empty())
    }

    /// Send `event` to every receiver, in connection order.
    pub async fn send(&self, event: E) {
        let receivers: Vec<Erased> = {
            let reg = REGISTRY.read().unwrap();
            match reg.receivers.get(&TypeId::of::<E>()) {
                Some(list) => list.iter().map(|e| e.receiver.clone()).collect(),
                None => return,
            }
        };
        let event: Arc<dyn Any + Send + Sync> = Arc::new(event);
        for r in receivers {
            r(event.clone()).await;
        }
    }
}

/// `pre_save` for model `M`.
pub fn pre_save<M: Model>() -> Signal<PreSave<M>> {
    Signal { _e: PhantomData }
}

/// `post_save` for model `M`.
pub fn post_save<M: Model>() -> Signal<PostSave<M>> {
    Signal { _e: PhantomData }
}

/// `pre_delete` for model `M`.
pub fn pre_delete<M: Model>() -> Signal<PreDelete<M>> {
    Signal { _e: PhantomData }
}

/// `post_delete` for model `M`.
pub fn post_delete<M: Model>() -> Signal<PostDelete<M>> {
    Signal { _e: PhantomData }
}

/// `m2m_changed`, for every many-to-many relation.
pub fn m2m_changed() -> Signal<M2MChanged> {
    Signal { _e: PhantomData }
}
