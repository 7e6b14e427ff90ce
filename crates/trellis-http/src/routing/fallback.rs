//! Answers when dispatch fails: trailing-slash redirects, 404 and 405 pages.

use std::sync::Arc;

use axum::extract::{RawPathParams, Request, State};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::{Method, StatusCode, header};

use super::pattern::Pattern;
use crate::app::AppState;
use crate::response::escape_html;
use crate::settings::TrailingSlash;

/// Whether an error for this request should be JSON (API routes, or a client asking for JSON).
fn wants_json(app: Option<&AppState>, req: &Request) -> bool {
    if app.is_some_and(|a| a.is_api_path(req.uri().path())) {
        return true;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/html")
}

/// An error page: `{"detail": ...}` for APIs, a small HTML page for sites. In debug, the
/// 404 page lists the URL patterns tried (like Django's).
pub(crate) fn error_page(app: Option<&AppState>, req: &Request, status: StatusCode) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    if wants_json(app, req) {
        return (status, axum::Json(serde_json::json!({ "detail": reason }))).into_response();
    }
    let mut body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{reason}</title></head>\
         <body><h1>{reason}</h1><p>The requested resource <code>{}</code> {}.</p>",
        escape_html(req.uri().path()),
        if status == StatusCode::NOT_FOUND {
            "was not found on this server"
        } else {
            "does not accept this method"
        }
    );
    if let Some(app) = app.filter(|a| a.settings().debug && status == StatusCode::NOT_FOUND) {
        body.push_str("<p>Trellis tried these URL patterns, in this order:</p><ol>");
        for r in app.routes() {
            body.push_str(&format!(
                "<li><code>{}</code>{}</li>",
                escape_html(r.pattern().as_str()),
                r.name()
                    .map(|n| format!(" [name='{}']", escape_html(n)))
                    .unwrap_or_default()
            ));
        }
        body.push_str("</ol><p>You see this page because <code>debug</code> is on.</p>");
    }
    body.push_str("</body></html>\n");
    (status, Html(body)).into_response()
}

/// The dispatcher's fallback: redirect to the canonical slash form if that matches a route,
/// else 404.
pub(crate) async fn not_found(req: Request) -> Response {
    let app = crate::app::current_app();
    if let Some(app) = &app {
        let path = req.uri().path();
        let alternative = match app.settings().trailing_slash {
            TrailingSlash::Append if !path.ends_with('/') => Some(format!("{path}/")),
            TrailingSlash::Strip if path.ends_with('/') && path != "/" => {
                Some(path.trim_end_matches('/').to_string())
            }
            _ => None,
        };
        if let Some(alt) = alternative.filter(|alt| app.match_path(alt).is_some()) {
            let target = match req.uri().query() {
                Some(q) => format!("{alt}?{q}"),
                None => alt,
            };
            // 301 for GET/HEAD as Django does; 308 keeps the method and body of other requests.
            let mut resp = Redirect::permanent(&target).into_response();
            if req.method() == Method::GET || req.method() == Method::HEAD {
                *resp.status_mut() = StatusCode::MOVED_PERMANENTLY;
            }
            return resp;
        }
    }
    error_page(app.as_ref(), &req, StatusCode::NOT_FOUND)
}

/// The dispatcher's 405 answer: a JSON or HTML body; the dispatcher adds `Allow`.
pub(crate) async fn method_not_allowed(req: Request) -> Response {
    let app = crate::app::current_app();
    error_page(app.as_ref(), &req, StatusCode::METHOD_NOT_ALLOWED)
}

/// Route layer: refuse values their converters do not accept (the route does not match: 404).
pub(crate) async fn check_converters(
    State(pattern): State<Arc<Pattern>>,
    params: RawPathParams,
    req: Request,
    next: Next,
) -> Response {
    let ok = pattern.params().all(|(name, conv)| {
        params
            .iter()
            .find(|(k, _)| *k == name)
            .is_none_or(|(_, v)| conv.accepts(v))
    });
    if ok {
        next.run(req).await
    } else {
        let app = crate::app::current_app();
        error_page(app.as_ref(), &req, StatusCode::NOT_FOUND)
    }
}
