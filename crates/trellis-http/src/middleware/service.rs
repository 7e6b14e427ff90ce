//! The default stack's one service: catch panic, the defaults (request id, HTTPS
//! redirect, allowed hosts, body limit, security headers), the request timeout and GZip,
//! in the order of the module docs, as one tower service with one future.
//!
//! Each of them was its own layer once; every request then crossed four `call`s and four
//! nested futures, each a move of the future inside it. Now a request is looked at once
//! (one pass over its headers, [`Defaults::before`]), the handler's future is wrapped once,
//! and the response is touched once ([`Defaults::after`]).

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use tower_http::compression::Compression;

use super::compress::{GzipPredicate, add_vary, compression};
use super::defaults::{Begun, Defaults};
use super::panic::panic_response;
use super::timeout::Deadline;

/// The default stack (but the access log, a layer of its own around it when on).
#[derive(Debug, Clone)]
pub(crate) struct DefaultStackLayer {
    pub(crate) defaults: Defaults,
    /// `None`: no request timeout.
    pub(crate) timeout: Option<Duration>,
    /// GZip on.
    pub(crate) gzip: bool,
    /// A panic's message is shown in its 500.
    pub(crate) debug: bool,
}

impl<S> tower::Layer<S> for DefaultStackLayer {
    type Service = DefaultStack<S>;
    fn layer(&self, inner: S) -> DefaultStack<S> {
        DefaultStack {
            inner,
            cfg: self.clone(),
        }
    }
}

/// See [`DefaultStackLayer`].
#[derive(Debug, Clone)]
pub(crate) struct DefaultStack<S> {
    inner: S,
    cfg: DefaultStackLayer,
}

type CompressFuture<S> = <Compression<S, GzipPredicate> as tower::Service<Request>>::Future;

impl<S> tower::Service<Request> for DefaultStack<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone,
{
    type Response = Response;
    type Error = Infallible;
    type Future = StackFuture<S::Future, CompressFuture<S>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let debug = self.cfg.debug;
        // Catch panic is the outermost: a panic anywhere below (the checks, making the
        // inner future) is a 500.
        let called = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let cfg = &self.cfg;
            let begun = match cfg.defaults.before(&mut req) {
                Ok(begun) => begun,
                Err(resp) => return StackFuture::Ready { resp: Some(resp) },
            };
            let compress = cfg.gzip && begun.accepts_gzip;
            let run = Run {
                defaults: cfg.defaults.clone(),
                begun: Some(begun),
                deadline: Deadline::new(cfg.timeout),
                debug,
            };
            if compress {
                // The inner service was ready (above), and so is a clone of it: every
                // service under the default stack is always ready.
                StackFuture::Compress {
                    fut: compression(self.inner.clone()).call(req),
                    run,
                }
            } else {
                StackFuture::Plain {
                    fut: self.inner.call(req),
                    vary: cfg.gzip,
                    run,
                }
            }
        }));
        match called {
            Ok(fut) => fut,
            Err(e) => StackFuture::Ready {
                resp: Some(panic_response(e, debug)),
            },
        }
    }
}

/// What a request's future keeps for the way back.
#[derive(Debug)]
pub(crate) struct Run {
    defaults: Defaults,
    /// Taken when the response is touched.
    begun: Option<Begun>,
    deadline: Deadline,
    debug: bool,
}

pin_project_lite::pin_project! {
    /// The future of [`DefaultStack`].
    #[project = StackProj]
    pub(crate) enum StackFuture<P, C> {
        /// The client takes no gzip (or GZip is off): `vary` adds `Vary` when on.
        Plain { #[pin] fut: P, vary: bool, run: Run },
        /// Through tower-http's compression.
        Compress { #[pin] fut: C, run: Run },
        /// Answered already: early (a check), or a panic while calling.
        Ready { resp: Option<Response> },
    }
}

impl<P, C, B> Future for StackFuture<P, C>
where
    P: Future<Output = Result<Response, Infallible>>,
    C: Future<Output = Result<http::Response<B>, Infallible>>,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (debug, polled) = match self.project() {
            StackProj::Ready { resp } => {
                return Poll::Ready(Ok(resp.take().expect("polled after completion")));
            }
            StackProj::Plain { fut, vary, run } => (
                run.debug,
                std::panic::catch_unwind(AssertUnwindSafe(|| {
                    finish(fut, run, cx, |mut resp| {
                        if *vary {
                            add_vary(&mut resp);
                        }
                        resp
                    })
                })),
            ),
            StackProj::Compress { fut, run } => (
                run.debug,
                std::panic::catch_unwind(AssertUnwindSafe(|| {
                    finish(fut, run, cx, |resp| resp.map(Body::new))
                })),
            ),
        };
        match polled {
            Ok(p) => p.map(Ok),
            // A panic on the way back: the 500 goes out as it is (no security headers),
            // as the outermost layer it is.
            Err(e) => Poll::Ready(Ok(panic_response(e, debug))),
        }
    }
}

/// Poll the inner future under the deadline; on its answer (`map`ped: the GZip side) or
/// the 408, touch the response.
fn finish<F, R>(
    fut: Pin<&mut F>,
    run: &mut Run,
    cx: &mut Context<'_>,
    map: impl FnOnce(R) -> Response,
) -> Poll<Response>
where
    F: Future<Output = Result<R, Infallible>>,
{
    let mut resp = match fut.poll(cx) {
        Poll::Ready(Ok(resp)) => map(resp),
        Poll::Pending => std::task::ready!(run.deadline.poll_expired(cx)),
    };
    if let Some(begun) = run.begun.take() {
        run.defaults.after(begun, &mut resp);
    }
    Poll::Ready(resp)
}
