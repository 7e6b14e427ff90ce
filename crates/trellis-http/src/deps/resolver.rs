//! The [`Resolver`]: solves a dependency and its sub-dependencies for one request.

use std::any::{Any, TypeId};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::response::IntoResponse;
use http::request::Parts;

use super::Dependency;
use super::scope::{Outcome, RequestScope};
use crate::app::AppState;
use crate::response::HttpError;
use crate::settings::Settings;

/// Resolves dependencies for one request: the cache, overrides, teardowns and extractors.
pub struct Resolver<'a> {
    parts: &'a mut Parts,
    state: AppState,
    scope: Arc<RequestScope>,
    resolving: Vec<(TypeId, &'static str)>,
}

impl std::fmt::Debug for Resolver<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("resolving", &self.resolving)
            .finish_non_exhaustive()
    }
}

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl<'a> Resolver<'a> {
    /// A resolver over a request's parts. Fails when the request did not go through a Trellis app.
    pub fn from_parts(parts: &'a mut Parts) -> Result<Self, HttpError> {
        let state = crate::app::current_app().ok_or_else(|| {
            HttpError::internal(
                "dependency used outside a Trellis App (no AppState on the request)",
            )
        })?;
        // Inside an app the scope is the request's (task-local, made on first use); a
        // request that bypassed the app's layers gets one kept in its extensions, whose
        // teardowns do not run.
        let scope = match super::scope::current_scope() {
            Some(s) => s,
            None => match parts.extensions.get::<Arc<RequestScope>>() {
                Some(s) => s.clone(),
                None => {
                    tracing::warn!(
                        "dependency resolved outside a request scope: its teardowns will not run"
                    );
                    let s = Arc::new(RequestScope::default());
                    parts.extensions.insert(s.clone());
                    s
                }
            },
        };
        Ok(Resolver {
            parts,
            state,
            scope,
            resolving: Vec::new(),
        })
    }

    /// A dependency, from this request's cache or resolved now and cached.
    pub fn get<T: Dependency>(&mut self) -> BoxFut<'_, Result<T, HttpError>> {
        Box::pin(self.solve::<T>(true))
    }

    /// A dependency resolved anew, bypassing the cache.
    pub fn get_fresh<T: Dependency>(&mut self) -> BoxFut<'_, Result<T, HttpError>> {
        Box::pin(self.solve::<T>(false))
    }

    async fn solve<T: Dependency>(&mut self, cached: bool) -> Result<T, HttpError> {
        let id = TypeId::of::<T>();
        if cached {
            let cache = self
                .scope
                .cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(v) = cache.get(&id).and_then(|b| b.downcast_ref::<T>()) {
                return Ok(v.clone());
            }
        }
        let name = std::any::type_name::<T>();
        if self.resolving.iter().any(|(t, _)| *t == id) {
            let mut names: Vec<&str> = self.resolving.iter().map(|(_, n)| *n).collect();
            names.push(name);
            return Err(HttpError::internal(format!(
                "dependency cycle: {}",
                names.join(" -> ")
            )));
        }
        let value: T = if let Some(f) = self.state.override_for(id) {
            let boxed: Box<dyn Any + Send> = f().await?;
            match boxed.downcast::<T>() {
                Ok(v) => *v,
                Err(_) => {
                    return Err(HttpError::internal(format!(
                        "override for {name} has the wrong type"
                    )));
                }
            }
        } else {
            self.resolving.push((id, name));
            let r = T::resolve(self).await;
            self.resolving.pop();
            r?
        };
        if cached {
            self.scope
                .cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(id, Box::new(value.clone()));
        }
        Ok(value)
    }

    /// Run an extractor (`Query`, `HeaderMap`, a cookie jar, ...) on the request.
    pub async fn extract<E>(&mut self) -> Result<E, HttpError>
    where
        E: FromRequestParts<()>,
    {
        E::from_request_parts(self.parts, &())
            .await
            .map_err(|r| HttpError::from_response(r.into_response()))
    }

    /// The request's method, URI, headers and extensions.
    pub fn parts(&mut self) -> &mut Parts {
        self.parts
    }

    /// The app's settings.
    pub fn settings(&self) -> &Settings {
        self.state.settings()
    }

    /// An app-scoped singleton registered with `App::state`.
    pub fn app_state<T: Clone + Send + Sync + 'static>(&self) -> Result<T, HttpError> {
        self.state.get::<T>().cloned().ok_or_else(|| {
            HttpError::internal(format!(
                "no app state of type {} (register it with App::state)",
                std::any::type_name::<T>()
            ))
        })
    }

    /// Register a teardown, run after the handler has produced its response (last registered
    /// first), with the request's [`Outcome`]: like the code after `yield` in FastAPI.
    pub fn on_teardown<F, Fut>(&mut self, f: F)
    where
        F: FnOnce(Outcome) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let owner = self.resolving.last().map_or("handler", |(_, n)| *n);
        self.scope
            .push_teardown(owner, Box::new(move |o| Box::pin(f(o))));
    }
}
