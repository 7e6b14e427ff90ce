//! [`State<T>`]: an app-scoped singleton registered with `App::state`.

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;

use crate::response::HttpError;
use crate::routing::Urls;

/// Handler argument: a clone of the app-scoped value of type `T` registered with
/// `App::state(value)`. Registration is checked at start-up for every route that asks.
///
/// ```
/// use std::sync::Arc;
/// use trellis_http::extract::State;
///
/// #[derive(Clone)]
/// struct Config { greeting: Arc<str> }
///
/// async fn hello(State(cfg): State<Config>) -> String { cfg.greeting.to_string() }
///
/// let app = trellis_http::App::new("site").state(Config { greeting: "hi".into() });
/// ```
#[derive(Debug, Clone, Copy)]
pub struct State<T>(pub T);

impl<S: Send + Sync, T: Clone + Send + Sync + 'static> FromRequestParts<S> for State<T> {
    type Rejection = Response;

    async fn from_request_parts(_: &mut Parts, _: &S) -> Result<Self, Response> {
        let app = crate::app::current_app().ok_or_else(|| {
            HttpError::internal("State<T> used outside a Trellis App").into_response()
        })?;
        app.get::<T>().cloned().map(State).ok_or_else(|| {
            HttpError::internal(format!(
                "no app state of type {} (register it with App::state)",
                std::any::type_name::<T>()
            ))
            .into_response()
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Urls {
    type Rejection = Response;

    async fn from_request_parts(_: &mut Parts, _: &S) -> Result<Self, Response> {
        crate::app::current_app()
            .map(|a| a.urls().clone())
            .ok_or_else(|| HttpError::internal("Urls used outside a Trellis App").into_response())
    }
}
