//! GZip: compress when the client accepts it (tower-http's compression), and skip the
//! compression machinery entirely when it does not, while still sending
//! `Vary: Accept-Encoding` on compressible responses (as Django's GZipMiddleware does).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
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

#[derive(Debug, Clone, Copy)]
pub(crate) struct GzipLayer;

impl<S> tower::Layer<S> for GzipLayer {
    type Service = Gzip<S>;
    fn layer(&self, inner: S) -> Gzip<S> {
        Gzip { inner }
    }
}

fn compression<S>(inner: S) -> Compression<S, GzipPredicate> {
    tower::Layer::layer(
        &CompressionLayer::new().gzip(true).compress_when(PREDICATE),
        inner,
    )
}

/// One inner service (cloning the stack clones one copy of it); tower-http's compression
/// is put around a clone of it only for requests that accept gzip.
#[derive(Clone)]
pub(crate) struct Gzip<S> {
    inner: S,
}

fn accepts_gzip(req: &Request) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .any(|v| {
            v.to_str()
                .is_ok_and(|s| s.contains("gzip") || s.contains('*'))
        })
}

impl<S> tower::Service<Request> for Gzip<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone,
{
    type Response = Response;
    type Error = Infallible;
    type Future =
        GzipFuture<S::Future, <Compression<S, GzipPredicate> as tower::Service<Request>>::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if accepts_gzip(&req) {
            // The inner service was ready (above), and so is a clone of it: every service
            // under the default stack is always ready.
            GzipFuture::Compress {
                fut: compression(self.inner.clone()).call(req),
            }
        } else {
            GzipFuture::Plain {
                fut: self.inner.call(req),
                check: true,
            }
        }
    }
}

pin_project_lite::pin_project! {
    #[project = GzipProj]
    pub(crate) enum GzipFuture<P, C> {
        Plain { #[pin] fut: P, check: bool },
        Compress { #[pin] fut: C },
    }
}

impl<P, C, B> Future for GzipFuture<P, C>
where
    P: Future<Output = Result<Response, Infallible>>,
    C: Future<Output = Result<http::Response<B>, Infallible>>,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GzipProj::Plain { fut, check } => {
                let Ok(mut resp) = std::task::ready!(fut.poll(cx));
                if std::mem::take(check)
                    && PREDICATE.should_compress(&resp)
                    && !resp.headers().get_all(header::VARY).iter().any(|v| {
                        v.to_str()
                            .is_ok_and(|s| s.to_ascii_lowercase().contains("accept-encoding"))
                    })
                {
                    resp.headers_mut()
                        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
                }
                Poll::Ready(Ok(resp))
            }
            GzipProj::Compress { fut } => {
                let Ok(resp) = std::task::ready!(fut.poll(cx));
                Poll::Ready(Ok(resp.map(Body::new)))
            }
        }
    }
}
