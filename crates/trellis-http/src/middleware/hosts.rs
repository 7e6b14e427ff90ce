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

/// The `allowed_hosts` setting, ready for the per-request check.
#[derive(Debug)]
pub(crate) struct AllowedHosts {
    patterns: Vec<String>,
    /// The patterns a host (with or without a port) can be compared with byte for byte
    /// first: plain names (no leading `.` or `*`, no trailing `.`) of header text.
    exact: Vec<Box<[u8]>>,
}

impl AllowedHosts {
    pub(crate) fn new(patterns: Vec<String>) -> Self {
        let exact = patterns
            .iter()
            .map(String::as_bytes)
            .filter(|p| {
                !p.is_empty()
                    && *p != b"*"
                    && !p.starts_with(b".")
                    && !p.ends_with(b".")
                    && is_header_text(p)
            })
            .map(Box::from)
            .collect();
        AllowedHosts { patterns, exact }
    }

    /// The common case without parsing: `host` is one of the plain names as it is, with
    /// or without a port. `false` means "not known yet", not "refused".
    fn matches_exactly(&self, host: &[u8]) -> bool {
        self.exact.iter().any(|p| {
            host.len() >= p.len()
                && host[..p.len()] == **p
                && match &host[p.len()..] {
                    [] => true,
                    [b':', port @ ..] => port.iter().all(u8::is_ascii_digit),
                    _ => false,
                }
        })
    }

    /// Answer 400 unless the request's host (its URI's authority, else `host_header`, its
    /// first `Host` header) is allowed.
    #[allow(clippy::result_large_err)]
    pub(crate) fn check(
        &self,
        req: &Request,
        host_header: Option<&http::HeaderValue>,
    ) -> Result<(), Response> {
        let host = match req.uri().authority() {
            Some(a) => Some(a.as_str().as_bytes()),
            None => host_header.map(|h| h.as_bytes()),
        };
        if let Some(h) = host
            && self.matches_exactly(h)
        {
            return Ok(());
        }
        let host = match req.uri().authority() {
            Some(_) => host,
            None => host.filter(|h| is_header_text(h)),
        };
        match host {
            Some(h) if host_bytes_allowed(h, &self.patterns) => Ok(()),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(patterns: &[&str], host: &str) -> bool {
        let hosts = AllowedHosts::new(patterns.iter().map(|p| p.to_string()).collect());
        let req = Request::builder()
            .uri("/")
            .header(http::header::HOST, host)
            .body(axum::body::Body::empty())
            .unwrap();
        let header = req.headers().get(http::header::HOST).cloned();
        hosts.check(&req, header.as_ref()).is_ok()
    }

    #[test]
    fn exact_hosts_match_with_or_without_a_port() {
        assert!(allowed(&["127.0.0.1"], "127.0.0.1"));
        assert!(allowed(&["127.0.0.1"], "127.0.0.1:8000"));
        assert!(allowed(&["[::1]"], "[::1]:8000"));
        assert!(!allowed(&["127.0.0.1"], "127.0.0.10"));
        assert!(!allowed(&["127.0.0.1"], "127.0.0.1:80x"));
        assert!(!allowed(&["example.com"], "example.com.evil.test"));
    }

    #[test]
    fn other_hosts_go_through_the_full_check() {
        assert!(allowed(&["example.com"], "EXAMPLE.com:8000"));
        assert!(allowed(&["example.com"], "example.com."));
        assert!(allowed(&[".example.com"], "www.example.com"));
        assert!(allowed(&["*"], "anything.test"));
        assert!(!allowed(&["example.com."], "example.com."));
        assert!(!allowed(&["example.com"], ""));
    }
}
