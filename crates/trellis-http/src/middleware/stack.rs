//! Assembles the default middleware stack (documented in the module docs) as one concrete
//! tower service around the dispatcher: no per-layer boxing on the request path.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use tower::ServiceBuilder;
use tower_http::map_response_body::MapResponseBodyLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tracing::Level;

use super::defaults::Defaults;
use super::service::DefaultStackLayer;
use crate::app::{AppState, ContextLayer, HttpService};
use crate::settings::Settings;

/// Wrap `inner` in the `Server` header (when set), the app state, the extractors' body
/// limit and (when on) the default stack, outermost layer first, and erase the type once.
pub(crate) fn wrap<S>(inner: S, s: &Settings, state: AppState) -> Result<HttpService, String>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let debug = s.debug;
    let stack = if s.default_middleware {
        let access_log = s.access_log.unwrap_or(debug).then(|| {
            ServiceBuilder::new()
                .layer(MapResponseBodyLayer::new(Body::new))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                        .on_request(DefaultOnRequest::new().level(Level::DEBUG))
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .into_inner()
        });
        // Catch panic, the defaults, the request timeout and GZip as one service.
        let stack = DefaultStackLayer {
            defaults: Defaults::from_settings(s)?,
            timeout: (s.request_timeout_secs > 0)
                .then(|| Duration::from_secs(s.request_timeout_secs)),
            gzip: s.gzip,
            debug,
        };
        Some(
            ServiceBuilder::new()
                .option_layer(access_log)
                .layer(stack)
                .into_inner(),
        )
    } else {
        None
    };
    // Outermost and independent of the default stack, so that every answer carries it
    // (the stack's own 400/408/413/500 included). The value is parsed once; each response
    // gets a clone (a reference count) unless its handler set its own.
    let server = match &s.server_header {
        Some(v) => Some(
            http::HeaderValue::from_str(v)
                .map_err(|_| format!("setting `server_header`: `{v}` is not a header value"))?,
        ),
        None => None,
    };
    let service = ServiceBuilder::new()
        .option_layer(
            server.map(|v| SetResponseHeaderLayer::if_not_present(http::header::SERVER, v)),
        )
        .layer(ContextLayer { app: state })
        // The handler-side future is not boxed under the stack: with the request timeout's
        // timer boxed the futures are small enough that moving them costs less than an
        // allocation.
        .option_layer(stack)
        .service(inner);
    // Every layer here is always ready, and so are the dispatcher and an erased project
    // middleware chain (`HttpService` reports ready and drives readiness inside).
    Ok(HttpService::from_always_ready(service))
}
