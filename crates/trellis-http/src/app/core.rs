//! The innermost layer, over the dispatcher: the request scope (dependency cache and
//! teardowns), the handler panic guard, and the extractors' body limit, in one call so
//! that a request is moved through as few layers as possible.

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::task::{Context, Poll};

use axum::extract::{DefaultBodyLimit, Request};
use axum::response::Response;
use futures_util::future::Either;
use tower::Layer;

use crate::deps::ScopeFuture;
use crate::middleware::{PanicFuture, panic_response};

#[derive(Debug, Clone, Copy)]
pub(crate) struct CoreLayer {
    pub(crate) debug: bool,
    pub(crate) body_limit: usize,
}

impl<S: Clone> Layer<S> for CoreLayer {
    type Service = Core<S>;
    fn layer(&self, inner: S) -> Core<S> {
        Core {
            limited: DefaultBodyLimit::max(self.body_limit).layer(inner.clone()),
            plain: inner,
            debug: self.debug,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Core<S> {
    /// For requests without a body: a bodiless GET does not pay for the limit's extension.
    plain: S,
    /// For requests with a body: axum's extractors read the limit from it.
    limited: <DefaultBodyLimit as Layer<S>>::Service,
    debug: bool,
}

type CoreFuture<F> = ScopeFuture<PanicFuture<Either<F, F>>>;

impl<S> tower::Service<Request> for Core<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
    <DefaultBodyLimit as Layer<S>>::Service:
        tower::Service<Request, Response = Response, Error = Infallible, Future = S::Future>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = CoreFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        std::task::ready!(self.plain.poll_ready(cx))?;
        self.limited.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let debug = self.debug;
        let has_body = !http_body::Body::is_end_stream(req.body());
        let called = std::panic::catch_unwind(AssertUnwindSafe(|| {
            if has_body {
                Either::Right(self.limited.call(req))
            } else {
                Either::Left(self.plain.call(req))
            }
        }));
        ScopeFuture::new(match called {
            Ok(fut) => PanicFuture::Inner { fut, debug },
            Err(e) => PanicFuture::Ready {
                resp: Some(panic_response(e, debug)),
            },
        })
    }
}
