//! [`AppState`]: what every request can reach (settings, URL map, app-scoped singletons,
//! dependency overrides, the blocking pool). Put in each request's extensions by the app.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use tokio::sync::Semaphore;

use crate::response::HttpError;
use crate::routing::{RouteInfo, Urls};
use crate::settings::Settings;

/// App-scoped singletons by type.
#[derive(Default, Clone)]
pub struct StateMap {
    map: HashMap<TypeId, (Arc<dyn Any + Send + Sync>, &'static str)>,
}

impl std::fmt::Debug for StateMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.map.values().map(|(_, n)| n))
            .finish()
    }
}

impl StateMap {
    /// Store a value, replacing any of the same type.
    pub fn insert<T: Clone + Send + Sync + 'static>(&mut self, value: T) {
        self.map.insert(
            TypeId::of::<T>(),
            (Arc::new(value), std::any::type_name::<T>()),
        );
    }

    /// A value by type.
    pub fn get<T: 'static>(&self) -> Option<&T> {
        self.map
            .get(&TypeId::of::<T>())
            .and_then(|(v, _)| v.downcast_ref())
    }

    /// Whether a type is present.
    pub fn contains(&self, id: TypeId) -> bool {
        self.map.contains_key(&id)
    }
}

pub(crate) type OverrideFn =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Box<dyn Any + Send>, HttpError>> + Send + Sync>;

/// Shared, read-only state of a built app. Cheap to clone.
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<AppStateInner>);

pub(crate) struct AppStateInner {
    pub(crate) label: String,
    pub(crate) settings: Arc<Settings>,
    pub(crate) urls: Urls,
    pub(crate) states: StateMap,
    pub(crate) overrides: HashMap<TypeId, OverrideFn>,
    pub(crate) blocking: Arc<Semaphore>,
    pub(crate) routes: Arc<Vec<RouteInfo>>,
    pub(crate) matcher: matchit::Router<usize>,
    pub(crate) api_prefixes: Vec<String>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("label", &self.0.label)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The app of the request being handled on this task (`None` outside a request).
    pub fn current() -> Option<AppState> {
        current_app()
    }

    /// The project's label (`App::new("demo")`).
    pub fn label(&self) -> &str {
        &self.0.label
    }

    /// The loaded settings.
    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// The named routes.
    pub fn urls(&self) -> &Urls {
        &self.0.urls
    }

    /// An app-scoped singleton registered with `App::state`.
    pub fn get<T: 'static>(&self) -> Option<&T> {
        self.0.states.get::<T>()
    }

    /// Every route with its methods, name and dependencies.
    pub fn routes(&self) -> &[RouteInfo] {
        &self.0.routes
    }

    pub(crate) fn override_for(&self, id: TypeId) -> Option<&OverrideFn> {
        self.0.overrides.get(&id)
    }

    pub(crate) fn blocking_pool(&self) -> &Arc<Semaphore> {
        &self.0.blocking
    }

    /// Whether the path falls under an API router (JSON error answers).
    pub(crate) fn is_api_path(&self, path: &str) -> bool {
        self.0
            .api_prefixes
            .iter()
            .any(|p| path.starts_with(p.as_str()))
    }

    /// The route a path matches, with its parameters checked by their converters.
    pub(crate) fn match_path(&self, path: &str) -> Option<&RouteInfo> {
        let m = self.0.matcher.at(path).ok()?;
        let info = &self.0.routes[*m.value];
        let ok = info.pattern().params().all(|(name, conv)| {
            m.params.get(name).is_some_and(|v| {
                let decoded = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
                conv.accepts(&decoded)
            })
        });
        ok.then_some(info)
    }
}

/// What a request carries while it is handled: the app, the peer address, the request id
/// and the dependency scope. A task-local set around the request's future (by the server's
/// connection, or by [`ContextLayer`] for in-process calls), so that it costs no
/// allocation and no extension per request.
pub(crate) struct RequestLocal {
    pub(crate) app: AppState,
    pub(crate) peer: Option<std::net::SocketAddr>,
    pub(crate) request_id: std::cell::RefCell<Option<http::HeaderValue>>,
    pub(crate) scope: std::cell::RefCell<Option<std::sync::Arc<crate::deps::RequestScope>>>,
}

impl RequestLocal {
    pub(crate) fn new(app: AppState, peer: Option<std::net::SocketAddr>) -> Self {
        RequestLocal {
            app,
            peer,
            request_id: Default::default(),
            scope: Default::default(),
        }
    }
}

tokio::task_local! {
    pub(crate) static REQUEST: RequestLocal;
}

/// The app of the request being handled.
pub(crate) fn current_app() -> Option<AppState> {
    REQUEST.try_with(|r| r.app.clone()).ok()
}

/// Call `f` with the app of the request being handled, without taking a reference
/// (no reference-count traffic: for lookups on the request path).
pub(crate) fn with_current_app<R>(f: impl FnOnce(&AppState) -> R) -> Option<R> {
    REQUEST.try_with(|r| f(&r.app)).ok()
}

/// Layer: make sure each request runs with its [`RequestLocal`] (the server sets it per
/// connection; in-process callers such as the test client get it here).
#[derive(Clone, Debug)]
pub(crate) struct ContextLayer {
    pub(crate) app: AppState,
}

impl<S> tower::Layer<S> for ContextLayer {
    type Service = ContextService<S>;
    fn layer(&self, inner: S) -> ContextService<S> {
        ContextService {
            inner,
            app: self.app.clone(),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct ContextService<S> {
    inner: S,
    app: AppState,
}

impl<S> tower::Service<axum::extract::Request> for ContextService<S>
where
    S: tower::Service<axum::extract::Request> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        futures_util::future::Either<S::Future, BoxFuture<'static, Result<S::Response, S::Error>>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: axum::extract::Request) -> Self::Future {
        if REQUEST.try_with(|_| ()).is_ok() {
            return futures_util::future::Either::Left(self.inner.call(req));
        }
        // In-process call: open the request's context, and call the stack inside it.
        let mut inner = self.inner.clone();
        let local = RequestLocal::new(self.app.clone(), None);
        futures_util::future::Either::Right(Box::pin(
            REQUEST.scope(local, async move { inner.call(req).await }),
        ))
    }
}
