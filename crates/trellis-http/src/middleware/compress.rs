//! GZip: compress when the client accepts it (tower-http's compression), and skip the
//! compression machinery entirely when it does not, while still sending
//! `Vary: Accept-Encoding` on compressible responses (as Django's GZipMiddleware does).

use axum::response::Response;
use http::{HeaderValue, header};
use tower_http::compression::predicate::Predicate;
use tower_http::compression::{Compression, CompressionLayer};

/// Which responses are compressed: bodies of 200 bytes or more (when their size is
/// known), except gRPC, images (but SVG) and server-sent events: tower-http's
/// `SizeAbove(200).and(NotForContentType::GRPC).and(IMAGES).and(SSE)`, checked on bytes
/// (it is asked on every response, to add `Vary` even when the client takes no gzip).
#[derive(Debug, Clone, Copy)]
pub(crate) struct GzipPredicate;

const MIN_SIZE: u64 = 200;

impl Predicate for GzipPredicate {
    fn should_compress<B>(&self, response: &http::Response<B>) -> bool
    where
        B: http_body::Body,
    {
        let size = response.body().size_hint().exact().or_else(|| {
            response
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|h| std::str::from_utf8(h.as_bytes()).ok())
                .and_then(|v| v.parse().ok())
        });
        if size.is_some_and(|n| n < MIN_SIZE) {
            return false;
        }
        let Some(ct) = response.headers().get(header::CONTENT_TYPE) else {
            return true;
        };
        let ct = ct.as_bytes();
        let starts = |prefix: &[u8]| {
            ct.len() >= prefix.len() && ct[..prefix.len()].eq_ignore_ascii_case(prefix)
        };
        !(starts(b"application/grpc")
            || (starts(b"image/") && !starts(b"image/svg+xml"))
            || starts(b"text/event-stream"))
    }
}

static PREDICATE: GzipPredicate = GzipPredicate;

/// tower-http's compression around `inner`, for a request that accepts gzip.
pub(crate) fn compression<S>(inner: S) -> Compression<S, GzipPredicate> {
    tower::Layer::layer(
        &CompressionLayer::new().gzip(true).compress_when(PREDICATE),
        inner,
    )
}

/// Whether one `Accept-Encoding` value takes gzip (`gzip` or `*`).
pub(crate) fn accepts_gzip(value: &HeaderValue) -> bool {
    value
        .to_str()
        .is_ok_and(|s| s.contains("gzip") || s.contains('*'))
}

/// The response to a client that takes no gzip: `Vary: Accept-Encoding` when it would
/// have been compressed, unless a `Vary` already names it.
pub(crate) fn add_vary(resp: &mut Response) {
    if PREDICATE.should_compress(resp) && !varies_on_encoding(resp.headers()) {
        resp.headers_mut()
            .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

/// Whether a `Vary` value names `Accept-Encoding` (in any case). A response has a few
/// headers: going through them is cheaper than hashing the name.
fn varies_on_encoding(h: &http::HeaderMap) -> bool {
    let names = |v: &HeaderValue| {
        v.to_str().is_ok_and(|s| {
            s.as_bytes()
                .windows(ENCODING.len())
                .any(|w| w.eq_ignore_ascii_case(ENCODING))
        })
    };
    const ENCODING: &[u8] = b"accept-encoding";
    if h.keys_len() <= 8 {
        h.iter().any(|(n, v)| *n == header::VARY && names(v))
    } else {
        h.get_all(header::VARY).iter().any(names)
    }
}
