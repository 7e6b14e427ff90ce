//! Request timeout: 408 when the inner service takes longer than the limit.
//!
//! The timer is armed only when the handler does not finish on its first poll, so the
//! many requests answered straight away never touch the runtime's timer wheel.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use tokio::time::Sleep;

#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeoutLayer {
    pub(crate) limit: Duration,
}

impl<S> tower::Layer<S> for TimeoutLayer {
    type Service = Timeout<S>;
    fn layer(&self, inner: S) -> Timeout<S> {
        Timeout {
            inner,
            limit: self.limit,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Timeout<S> {
    inner: S,
    limit: Duration,
}

impl<S> tower::Service<Request> for Timeout<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = TimeoutFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        TimeoutFuture {
            inner: self.inner.call(req),
            sleep: None,
            limit: self.limit,
        }
    }
}

pin_project_lite::pin_project! {
    pub(crate) struct TimeoutFuture<F> {
        #[pin]
        inner: F,
        // Boxed: armed only for slow handlers, and unboxed it would make every request's
        // future (moved through the layers above) larger by a timer entry.
        sleep: Option<Pin<Box<Sleep>>>,
        limit: Duration,
    }
}

impl<F> Future for TimeoutFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(r) = this.inner.poll(cx) {
            return Poll::Ready(r);
        }
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(*this.limit)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                tracing::warn!(
                    seconds = this.limit.as_secs_f64(),
                    "request timed out; answered 408"
                );
                Poll::Ready(Ok(
                    (StatusCode::REQUEST_TIMEOUT, "Request Timeout").into_response()
                ))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
