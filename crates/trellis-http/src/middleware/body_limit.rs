//! The body limit extractors apply (axum's `DefaultBodyLimit`), set only on requests that
//! have a body: a bodiless GET does not pay for an extension it never reads.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::extract::{DefaultBodyLimit, Request};
use axum::response::Response;
use tower::Layer;

#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimitLayer {
    pub(crate) limit: usize,
}

impl<S: Clone> Layer<S> for BodyLimitLayer {
    type Service = BodyLimit<S>;
    fn layer(&self, inner: S) -> BodyLimit<S> {
        BodyLimit {
            limited: DefaultBodyLimit::max(self.limit).layer(inner.clone()),
            plain: inner,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct BodyLimit<S> {
    plain: S,
    limited: <DefaultBodyLimit as Layer<S>>::Service,
}

impl<S> tower::Service<Request> for BodyLimit<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone,
{
    type Response = Response;
    type Error = Infallible;
    type Future = futures_util::future::Either<S::Future, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        std::task::ready!(self.plain.poll_ready(cx))?;
        self.limited.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if http_body::Body::is_end_stream(req.body()) {
            futures_util::future::Either::Left(self.plain.call(req))
        } else {
            futures_util::future::Either::Right(self.limited.call(req))
        }
    }
}
