//! Dependency injection, FastAPI's `Depends()` with types.
//!
//! A dependency is a type implementing [`Dependency`]. A handler asks for it with
//! [`Dep<T>`] (cached: resolved once per request, however many dependants share it) or
//! [`Fresh<T>`] (resolved again for this use). A dependency resolves its own
//! sub-dependencies through the [`Resolver`], may register a teardown that runs after the
//! handler has produced its response and sees the [`Outcome`] (commit or roll back), and
//! can be replaced in tests with `App::override_dependency`.
//!
//! The graph is declared by [`Dependency::declare`] and built once when the app starts
//! ([`DepNode`]): cycles are start-up errors, and the OpenAPI generator reads the graph.
//!
//! ```
//! use trellis_http::deps::{Dep, Dependency, Declare, Resolver};
//! use trellis_http::response::HttpError;
//!
//! #[derive(Clone)]
//! struct Db { name: String }
//!
//! impl Dependency for Db {
//!     async fn resolve(cx: &mut Resolver<'_>) -> Result<Self, HttpError> {
//!         cx.on_teardown(|outcome| async move {
//!             if outcome.failed() { /* roll back */ } else { /* commit */ }
//!         });
//!         Ok(Db { name: "main".into() })
//!     }
//! }
//!
//! #[derive(Clone)]
//! struct CurrentUser { id: u64 }
//!
//! impl Dependency for CurrentUser {
//!     fn declare(deps: &mut Declare) { deps.depends_on::<Db>(); }
//!     async fn resolve(cx: &mut Resolver<'_>) -> Result<Self, HttpError> {
//!         let _db: Db = cx.get().await?;
//!         Ok(CurrentUser { id: 1 })
//!     }
//! }
//!
//! async fn handler(Dep(user): Dep<CurrentUser>, Dep(db): Dep<Db>) -> String {
//!     format!("user {} on {}", user.id, db.name)
//! }
//! ```

mod graph;
mod resolver;
mod scope;

use std::future::Future;

pub use graph::{Declare, DepNode, SecurityScheme};
pub use resolver::Resolver;
pub(crate) use scope::ScopeFuture;
pub use scope::{Outcome, RequestScope};

use crate::response::HttpError;

/// A type the framework can build for a handler, from the request and other dependencies.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Trellis dependency",
    note = "implement `trellis::deps::Dependency` for `{Self}` to use it in `Dep<{Self}>`"
)]
pub trait Dependency: Clone + Send + Sync + 'static {
    /// Declare sub-dependencies, for the start-up graph (`deps.depends_on::<Sub>()`).
    fn declare(deps: &mut Declare) {
        let _ = deps;
    }

    /// Build the value for this request. An error short-circuits the request with its response.
    fn resolve(cx: &mut Resolver<'_>) -> impl Future<Output = Result<Self, HttpError>> + Send;
}

/// Handler argument: a [`Dependency`], resolved once per request and shared.
#[derive(Debug, Clone, Copy)]
pub struct Dep<T>(pub T);

/// Handler argument: a [`Dependency`] resolved anew for this use (no per-request cache),
/// like FastAPI's `Depends(use_cache=False)`.
#[derive(Debug, Clone, Copy)]
pub struct Fresh<T>(pub T);

impl<T> std::ops::Deref for Dep<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::Deref for Fresh<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Resolve `T` for a handler argument, cached per request or not.
async fn extract<T: Dependency>(
    parts: &mut http::request::Parts,
    cached: bool,
) -> Result<T, axum::response::Response> {
    use axum::response::IntoResponse;
    let mut cx = Resolver::from_parts(parts).map_err(IntoResponse::into_response)?;
    let resolved = if cached {
        cx.get::<T>().await
    } else {
        cx.get_fresh::<T>().await
    };
    resolved.map_err(IntoResponse::into_response)
}

impl<S: Send + Sync, T: Dependency> axum::extract::FromRequestParts<S> for Dep<T> {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        extract::<T>(parts, true).await.map(Dep)
    }
}

impl<S: Send + Sync, T: Dependency> axum::extract::FromRequestParts<S> for Fresh<T> {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        extract::<T>(parts, false).await.map(Fresh)
    }
}
