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
    host_bytes_allowed(host.as_bytes(), allowed)
}

/// [`host_allowed`] on bytes, without UTF-8 checks or string searchers: it runs for every
/// request.
fn host_bytes_allowed(host: &[u8], allowed: &[String]) -> bool {
    let mut host = strip_port(host);
    while let [rest @ .., b'.'] = host {
        host = rest;
    }
    if host.is_empty() {
        return false;
    }
    allowed.iter().any(|pattern| {
        let pattern = pattern.as_bytes();
        if pattern == b"*" {
            true
        } else if let [b'.', domain @ ..] = pattern {
            // `.example.com`: the domain itself or any subdomain (case-insensitive).
            host.eq_ignore_ascii_case(domain)
                || (host.len() > pattern.len()
                    && host[host.len() - pattern.len()..].eq_ignore_ascii_case(pattern))
        } else {
            host == pattern || host.eq_ignore_ascii_case(pattern)
        }
    })
}

fn strip_port(host: &[u8]) -> &[u8] {
    if host.first() == Some(&b'[') {
        // IPv6 literal: keep the brackets, drop the port.
        return host
            .iter()
            .position(|&b| b == b']')
            .map_or(host, |i| &host[..=i]);
    }
    match host.iter().rposition(|&b| b == b':') {
        Some(i) if host[i + 1..].iter().all(u8::is_ascii_digit) => &host[..i],
        _ => host,
    }
}

/// What `HeaderValue::to_str` accepts: visible ASCII and tabs.
fn is_header_text(v: &[u8]) -> bool {
    v.iter().all(|&b| b == b'\t' || (32..127).contains(&b))
}

/// Answer 400 unless the request's host (its URI's authority, else `host_header`, its
/// first `Host` header) is allowed.
#[allow(clippy::result_large_err)]
pub(crate) fn check_host(
    req: &Request,
    host_header: Option<&http::HeaderValue>,
    allowed: &[String],
) -> Result<(), Response> {
    let host = match req.uri().authority() {
        Some(a) => Some(a.as_str().as_bytes()),
        None => host_header
            .map(|h| h.as_bytes())
            .filter(|h| is_header_text(h)),
    };
    match host {
        Some(h) if host_bytes_allowed(h, allowed) => Ok(()),
        other => {
            let other = other.map(String::from_utf8_lossy);
            tracing::warn!(host = ?other, "rejected request: Host is not in allowed_hosts");
            Err((
                StatusCode::BAD_REQUEST,
                "Bad Request (400): Host not allowed",
            )
                .into_response())
        }
    }
}
