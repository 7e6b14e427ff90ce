//! Assembles the default middleware stack (documented in the module docs).

use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tracing::Level;

use super::hook::HookLayer;
use super::hosts::AllowedHosts;
use super::panic::panic_response;
use super::security::{SecurityHeaders, SecurityPolicy};
use crate::settings::Settings;

/// Wrap `router` in the default stack; layers are added innermost first.
pub(crate) fn apply_default_stack(
    mut router: axum::Router,
    s: &Settings,
) -> Result<axum::Router, String> {
    router = router.layer(RequestBodyLimitLayer::new(s.body_limit));
    if s.request_timeout_secs > 0 {
        router = router.layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(s.request_timeout_secs),
        ));
    }
    if s.gzip {
        let predicate = SizeAbove::new(200)
            .and(NotForContentType::GRPC)
            .and(NotForContentType::IMAGES)
            .and(NotForContentType::SSE);
        router = router.layer(CompressionLayer::new().gzip(true).compress_when(predicate));
    }
    if !s.debug {
        router = router.layer(HookLayer(AllowedHosts(Arc::new(s.allowed_hosts.clone()))));
    }
    let policy = Arc::new(SecurityPolicy::from_settings(s)?);
    router = router.layer(HookLayer(SecurityHeaders(policy)));
    let debug = s.debug;
    router = router.layer(CatchPanicLayer::custom(move |e| panic_response(e, debug)));
    if s.access_log.unwrap_or(s.debug) {
        router = router.layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_request(DefaultOnRequest::new().level(Level::DEBUG))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        );
    }
    router = router.layer(PropagateRequestIdLayer::x_request_id());
    router = router.layer(SetRequestIdLayer::x_request_id(MakeRequestUuid));
    Ok(router)
}
