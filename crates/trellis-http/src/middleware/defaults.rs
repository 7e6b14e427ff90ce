//! The request-side defaults of the stack in one pass: request id, HTTPS redirect,
//! allowed hosts, body limit; and on the way back the security headers and the id.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::{HeaderName, HeaderValue, StatusCode, header};

use super::hook::{Hook, HookState};
use super::hosts::check_host;
use super::security::SecurityPolicy;
use crate::settings::Settings;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug)]
struct Config {
    security: SecurityPolicy,
    allowed_hosts: Option<Vec<String>>,
    body_limit: usize,
}

/// The defaults as one [`Hook`].
#[derive(Debug, Clone)]
pub(crate) struct Defaults(Arc<Config>);

impl Defaults {
    pub(crate) fn from_settings(s: &Settings) -> Result<Self, String> {
        Ok(Defaults(Arc::new(Config {
            security: SecurityPolicy::from_settings(s)?,
            allowed_hosts: (!s.debug).then(|| s.allowed_hosts.clone()),
            body_limit: s.body_limit,
        })))
    }
}

fn new_request_id() -> HeaderValue {
    let mut buf = uuid::Uuid::encode_buffer();
    let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buf);
    HeaderValue::from_str(id).expect("a UUID is a valid header value")
}

impl Hook for Defaults {
    fn before(&self, req: &mut Request) -> Result<HookState, Response> {
        let cfg = &*self.0;
        // 1. Request id: the client's, or a new one; handlers see it in the headers.
        let request_id = match req.headers().get(&X_REQUEST_ID) {
            Some(v) => v.clone(),
            None => {
                let v = new_request_id();
                req.headers_mut().insert(X_REQUEST_ID, v.clone());
                v
            }
        };
        let early = |mut resp: Response| {
            cfg.security.after(false, &mut resp);
            resp.headers_mut().insert(X_REQUEST_ID, request_id.clone());
            resp
        };
        // 2. HTTPS redirect.
        let secure = cfg.security.before(req).map_err(&early)?;
        // 3. Allowed hosts (not in debug).
        if let Some(allowed) = &cfg.allowed_hosts {
            check_host(req, allowed).map_err(&early)?;
        }
        // 4. Body limit: a declared length over it is refused now; a streamed body is
        //    cut at the limit (the extractor reading it answers 413).
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        match declared {
            Some(n) if n > cfg.body_limit as u64 => {
                return Err(early(
                    (
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "Payload Too Large: the request body is over the limit",
                    )
                        .into_response(),
                ));
            }
            Some(_) => {}
            None => {
                if !http_body::Body::is_end_stream(req.body()) {
                    let body = std::mem::take(req.body_mut());
                    *req.body_mut() = Body::new(http_body_util::Limited::new(body, cfg.body_limit));
                }
            }
        }
        Ok(HookState {
            secure,
            request_id: Some(request_id),
        })
    }

    fn after(&self, state: HookState, resp: &mut Response) {
        // Grow the header map once, not once per header.
        resp.headers_mut().reserve(6);
        self.0.security.after(state.secure, resp);
        if let Some(id) = state.request_id {
            resp.headers_mut().entry(X_REQUEST_ID).or_insert(id);
        }
    }
}
