//! The request-side defaults of the stack in one pass: request id, HTTPS redirect,
//! allowed hosts, body limit; and on the way back the security headers and the id.
//! Run by the stack's one service ([`super::service`]).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::{HeaderName, HeaderValue, StatusCode, header};

use super::hosts::AllowedHosts;
use super::security::SecurityPolicy;
use crate::settings::Settings;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id: the client's `x-request-id` header, or one made up by the default
/// stack. Also echoed as the response's `x-request-id`. A handler argument.
///
/// ```
/// use trellis_http::middleware::RequestId;
/// async fn handler(id: Option<RequestId>) -> String {
///     id.map(|i| i.as_str().to_string()).unwrap_or_default()
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub HeaderValue);

impl RequestId {
    /// The id as text (empty if the client sent a non-text id).
    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or("")
    }
}

fn request_id(ext: &http::Extensions) -> Option<RequestId> {
    crate::app::REQUEST
        .try_with(|r| r.request_id.borrow().clone())
        .ok()
        .flatten()
        .map(RequestId)
        .or_else(|| ext.get::<RequestId>().cloned())
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestId {
    type Rejection = crate::response::HttpError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        request_id(&parts.extensions).ok_or_else(|| {
            crate::response::HttpError::internal(
                "no request id: the default middleware stack is off",
            )
        })
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(request_id(&parts.extensions))
    }
}

impl crate::extract::Describe for RequestId {}

/// What the request-side checks hand to the response side.
#[derive(Debug, Default)]
pub(crate) struct Begun {
    /// The request came over HTTPS (directly or through a trusted proxy).
    pub(crate) secure: bool,
    /// The request id to echo on the response, when it could not be put in the request's
    /// context (the response side takes it back from there otherwise).
    pub(crate) request_id: Option<HeaderValue>,
    /// The client accepts gzip (`Accept-Encoding` has `gzip` or `*`).
    pub(crate) accepts_gzip: bool,
}

/// The request headers the defaults read, found in one pass over the map instead of a
/// hashed look-up each: a request has a handful of headers, and comparing names (an
/// integer for the standard ones) is cheaper than hashing one.
#[derive(Default)]
pub(crate) struct Seen<'a> {
    /// The first `x-request-id`.
    pub(crate) request_id: Option<&'a HeaderValue>,
    /// The first `Host`.
    pub(crate) host: Option<&'a HeaderValue>,
    /// The first `Content-Length`.
    pub(crate) content_length: Option<&'a HeaderValue>,
    /// Some `Accept-Encoding` has `gzip` or `*`.
    pub(crate) accepts_gzip: bool,
}

impl<'a> Seen<'a> {
    fn scan(headers: &'a http::HeaderMap) -> Self {
        let mut seen = Seen::default();
        for (name, value) in headers {
            if *name == header::HOST {
                seen.host.get_or_insert(value);
            } else if *name == header::CONTENT_LENGTH {
                seen.content_length.get_or_insert(value);
            } else if *name == header::ACCEPT_ENCODING {
                seen.accepts_gzip = seen.accepts_gzip || super::compress::accepts_gzip(value);
            } else if *name == X_REQUEST_ID {
                seen.request_id.get_or_insert(value);
            }
        }
        seen
    }
}

/// What [`Config::check`] found: the request goes on; whether it is secure.
enum Checked {
    /// Nothing more to do.
    Secure(bool),
    /// Its body has no declared length: limit it while streamed.
    Stream(bool),
}

#[derive(Debug)]
struct Config {
    security: SecurityPolicy,
    allowed_hosts: Option<AllowedHosts>,
    body_limit: usize,
}

/// The request and response sides of the defaults (request id, HTTPS redirect, allowed
/// hosts, body limit, security headers), run by the stack's one service.
#[derive(Debug, Clone)]
pub(crate) struct Defaults(Arc<Config>);

impl Defaults {
    pub(crate) fn from_settings(s: &Settings) -> Result<Self, String> {
        Ok(Defaults(Arc::new(Config {
            security: SecurityPolicy::from_settings(s)?,
            allowed_hosts: (!s.debug).then(|| AllowedHosts::new(s.allowed_hosts.clone())),
            body_limit: s.body_limit,
        })))
    }
}

fn new_request_id() -> HeaderValue {
    let mut buf = uuid::Uuid::encode_buffer();
    let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
    HeaderValue::from_str(id).expect("a UUID is a valid header value")
}

impl Defaults {
    /// Look at (and adjust) the request: `Err(response)` answers early; `Ok(begun)` goes
    /// on, and is handed to [`after`](Defaults::after). The early answer is the rare
    /// path; boxing it would cost every request.
    #[allow(clippy::result_large_err)]
    pub(crate) fn before(&self, req: &mut Request) -> Result<Begun, Response> {
        let cfg = &*self.0;
        let seen = Seen::scan(req.headers());
        let accepts_gzip = seen.accepts_gzip;
        // 1. Request id: the client's `x-request-id`, or a new one; handlers read it with
        //    the `RequestId` extractor, and it is echoed on the response.
        let request_id = match seen.request_id {
            Some(v) => v.clone(),
            None => new_request_id(),
        };
        let secure = match cfg.check(req, &seen) {
            Ok(Checked::Secure(secure)) => secure,
            Ok(Checked::Stream(secure)) => {
                // A body without a declared length: cut at the limit while streamed
                // (the extractor reading it answers 413).
                let body = std::mem::take(req.body_mut());
                *req.body_mut() = Body::new(http_body_util::Limited::new(body, cfg.body_limit));
                secure
            }
            Err(resp) => return Err(cfg.early(resp, request_id)),
        };
        // The id goes into the request's context (moved, not cloned: a clone of a new
        // header value would allocate); `after` takes it back for the response.
        let mut id = Some(request_id);
        let _ = crate::app::REQUEST.try_with(|r| *r.request_id.borrow_mut() = id.take());
        if let Some(id) = &id {
            // No request context (not reached through the app's service): an extension.
            req.extensions_mut().insert(RequestId(id.clone()));
        }
        Ok(Begun {
            secure,
            request_id: id,
            accepts_gzip,
        })
    }

    /// Touch the response: the security headers, then the request id.
    pub(crate) fn after(&self, begun: Begun, resp: &mut Response) {
        self.0.security.after(begun.secure, resp);
        let id = match begun.request_id {
            Some(id) => Some(id),
            None => crate::app::REQUEST
                .try_with(|r| r.request_id.borrow_mut().take())
                .ok()
                .flatten(),
        };
        if let Some(id) = id
            && !super::security::has(resp.headers(), &X_REQUEST_ID)
        {
            resp.headers_mut().append(X_REQUEST_ID, id);
        }
    }
}

impl Config {
    /// HTTPS redirect, allowed hosts, body limit: whether the request is secure and
    /// whether its body is to be limited while streamed, or `Err(the early answer)`.
    #[allow(clippy::result_large_err)]
    fn check(&self, req: &Request, seen: &Seen<'_>) -> Result<Checked, Response> {
        // 2. HTTPS redirect.
        let secure = self.security.before(req, seen.host)?;
        // 3. Allowed hosts (not in debug).
        if let Some(allowed) = &self.allowed_hosts {
            allowed.check(req, seen.host)?;
        }
        // 4. Body limit: a declared length over it is refused now; a streamed body is
        //    cut at the limit (the extractor reading it answers 413). A request without a
        //    body (most GETs) has nothing to check.
        if http_body::Body::is_end_stream(req.body()) {
            return Ok(Checked::Secure(secure));
        }
        let declared = seen
            .content_length
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        match declared {
            Some(n) if n > self.body_limit as u64 => Err((
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload Too Large: the request body is over the limit",
            )
                .into_response()),
            Some(_) => Ok(Checked::Secure(secure)),
            None => Ok(Checked::Stream(secure)),
        }
    }

    /// An early answer gets the security headers and the request id too.
    fn early(&self, mut resp: Response, request_id: HeaderValue) -> Response {
        self.security.after(false, &mut resp);
        resp.headers_mut().insert(X_REQUEST_ID, request_id);
        resp
    }
}
