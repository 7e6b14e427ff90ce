//! Assembles the default middleware stack (documented in the module docs) as one concrete
//! tower service around the dispatcher: no per-layer boxing on the request path.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use http::{Extensions, HeaderMap, StatusCode, Version};
use tower::ServiceBuilder;
use tower::util::BoxCloneSyncService;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::map_request_body::MapRequestBodyLayer;
use tower_http::map_response_body::MapResponseBodyLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tracing::Level;

use super::hook::HookLayer;
use super::hosts::AllowedHosts;
use super::panic::panic_response;
use super::security::{SecurityHeaders, SecurityPolicy};
use crate::app::HttpService;
use crate::settings::Settings;

/// "No timeout": a century.
const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Wrap `inner` in the default stack, outermost layer first.
pub(crate) fn apply_default_stack(inner: HttpService, s: &Settings) -> Result<HttpService, String> {
    let policy = Arc::new(SecurityPolicy::from_settings(s)?);
    let debug = s.debug;
    let gzip = s.gzip;
    let predicate = SizeAbove::new(200)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE)
        .and(move |_: StatusCode, _: Version, _: &HeaderMap, _: &Extensions| gzip);
    let timeout = if s.request_timeout_secs > 0 {
        Duration::from_secs(s.request_timeout_secs)
    } else {
        NEVER
    };
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
    let hosts = AllowedHosts {
        enabled: !debug,
        hosts: Arc::new(s.allowed_hosts.clone()),
    };
    let service = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(PropagateRequestIdLayer::x_request_id())
        .option_layer(access_log)
        .layer(MapResponseBodyLayer::new(Body::new))
        .layer(CatchPanicLayer::custom(move |e| panic_response(e, debug)))
        .layer(HookLayer(SecurityHeaders(policy)))
        .layer(HookLayer(hosts))
        .layer(MapResponseBodyLayer::new(Body::new))
        .layer(CompressionLayer::new().gzip(true).compress_when(predicate))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(MapResponseBodyLayer::new(Body::new))
        .layer(RequestBodyLimitLayer::new(s.body_limit))
        .layer(MapRequestBodyLayer::new(Body::new))
        .service(inner);
    Ok(BoxCloneSyncService::new(service))
}
