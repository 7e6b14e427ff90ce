//! Allowed hosts: answer 400 to a `Host` the site does not serve (Django's `ALLOWED_HOSTS`).

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::StatusCode;

/// Whether `host` (with or without a port) matches one of the patterns:
/// `example.com` exactly, `.example.com` for it and its subdomains, `*` for any.
///
/// ```
/// use trellis_http::middleware::host_allowed;
/// let allowed = vec![".example.com".to_string(), "localhost".to_string()];
/// assert!(host_allowed("www.example.com:8000", &allowed));
/// assert!(host_allowed("example.com", &allowed));
/// assert!(!host_allowed("evil.test", &allowed));
/// ```
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = strip_port(host).trim_end_matches('.');
    if host.is_empty() {
        return false;
    }
    allowed.iter().any(|pattern| {
        if pattern == "*" {
            true
        } else if let Some(domain) = pattern.strip_prefix('.') {
            // `.example.com`: the domain itself or any subdomain (case-insensitive, no allocation).
            host.eq_ignore_ascii_case(domain)
                || (host.len() > pattern.len()
                    && host.is_char_boundary(host.len() - pattern.len())
                    && host[host.len() - pattern.len()..].eq_ignore_ascii_case(pattern))
        } else {
            host.eq_ignore_ascii_case(pattern)
        }
    })
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // IPv6 literal: keep the brackets, drop the port.
        return host.find(']').map_or(host, |i| &host[..=i]);
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Answer 400 unless the request's host is allowed.
#[allow(clippy::result_large_err)]
pub(crate) fn check_host(req: &Request, allowed: &[String]) -> Result<(), Response> {
    let host = req.uri().authority().map(|a| a.as_str()).or_else(|| {
        req.headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
    });
    match host {
        Some(h) if host_allowed(h, allowed) => Ok(()),
        other => {
            tracing::warn!(host = ?other, "rejected request: Host is not in allowed_hosts");
            Err((
                StatusCode::BAD_REQUEST,
                "Bad Request (400): Host not allowed",
            )
                .into_response())
        }
    }
}
