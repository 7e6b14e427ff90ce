//! Security headers and the HTTPS redirect (Django's `SecurityMiddleware`).

use axum::extract::Request;
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderName, HeaderValue, header};

use crate::settings::Settings;

/// The precomputed header values.
#[derive(Debug)]
pub(crate) struct SecurityPolicy {
    headers: Vec<(HeaderName, HeaderValue)>,
    hsts: Option<HeaderValue>,
    ssl_redirect: bool,
    proxy_header: Option<HeaderName>,
}

impl SecurityPolicy {
    pub(crate) fn from_settings(s: &Settings) -> Result<Self, String> {
        let value = |key: &str, v: &str| {
            HeaderValue::from_str(v)
                .map_err(|_| format!("setting `{key}`: `{v}` is not a valid header value"))
        };
        let mut headers = vec![(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        )];
        if !s.referrer_policy.is_empty() {
            headers.push((
                header::REFERRER_POLICY,
                value("referrer_policy", &s.referrer_policy)?,
            ));
        }
        if !s.cross_origin_opener_policy.is_empty() {
            headers.push((
                HeaderName::from_static("cross-origin-opener-policy"),
                value("cross_origin_opener_policy", &s.cross_origin_opener_policy)?,
            ));
        }
        if !s.x_frame_options.is_empty() {
            headers.push((
                header::X_FRAME_OPTIONS,
                value("x_frame_options", &s.x_frame_options)?,
            ));
        }
        let hsts = (s.secure_hsts_seconds > 0).then(|| {
            let mut v = format!("max-age={}", s.secure_hsts_seconds);
            if s.secure_hsts_include_subdomains {
                v.push_str("; includeSubDomains");
            }
            if s.secure_hsts_preload {
                v.push_str("; preload");
            }
            HeaderValue::from_str(&v).expect("HSTS value is ASCII")
        });
        let proxy_header = match &s.secure_proxy_ssl_header {
            Some(h) => Some(HeaderName::try_from(h.as_str()).map_err(|_| {
                format!("setting `secure_proxy_ssl_header`: `{h}` is not a header name")
            })?),
            None => None,
        };
        Ok(SecurityPolicy {
            headers,
            hsts,
            ssl_redirect: s.secure_ssl_redirect,
            proxy_header,
        })
    }

    fn is_secure(&self, req: &Request) -> bool {
        if req.uri().scheme_str() == Some("https") {
            return true;
        }
        self.proxy_header.as_ref().is_some_and(|h| {
            req.headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("https"))
        })
    }
}

impl SecurityPolicy {
    /// Before the handler: the HTTPS redirect (an early answer), else whether the request is secure.
    #[allow(clippy::result_large_err)]
    /// `host` is the request's first `Host` header.
    pub(crate) fn before(
        &self,
        req: &Request,
        host: Option<&HeaderValue>,
    ) -> Result<bool, Response> {
        let secure = self.is_secure(req);
        if self.ssl_redirect && !secure {
            let host = host.and_then(|h| h.to_str().ok()).unwrap_or("localhost");
            let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
            // 301, as Django's SecurityMiddleware answers.
            let mut resp = Redirect::permanent(&format!("https://{host}{path}")).into_response();
            *resp.status_mut() = http::StatusCode::MOVED_PERMANENTLY;
            apply(self, &mut resp, false);
            return Err(resp);
        }
        Ok(secure)
    }

    /// After the handler: the headers.
    pub(crate) fn after(&self, secure: bool, resp: &mut Response) {
        apply(self, resp, secure);
    }
}

fn apply(policy: &SecurityPolicy, resp: &mut Response, secure: bool) {
    let h = resp.headers_mut();
    // Room for every header added here and for the request id, made at once: the map
    // grows (and rehashes what it holds) once, while it holds only the handler's headers.
    h.reserve(policy.headers.len() + 2);
    for (name, value) in &policy.headers {
        if !has(h, name) {
            h.append(name.clone(), value.clone());
        }
    }
    if secure
        && let Some(v) = &policy.hsts
        && !has(h, &header::STRICT_TRANSPORT_SECURITY)
    {
        h.append(header::STRICT_TRANSPORT_SECURITY, v.clone());
    }
}

/// Whether the map has `name`: a handler's response has a few headers, and comparing
/// names is cheaper than hashing one.
pub(crate) fn has(h: &http::HeaderMap, name: &HeaderName) -> bool {
    if h.keys_len() <= 8 {
        h.keys().any(|k| k == name)
    } else {
        h.contains_key(name)
    }
}
