//! Request timeout: 408 when the inner service takes longer than the limit.
//!
//! The timer is armed only when the handler does not finish on its first poll, so the
//! many requests answered straight away never touch the runtime's timer wheel.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use tokio::time::Sleep;

/// The request's deadline, polled after the inner future when that is not ready.
#[derive(Debug)]
pub(crate) struct Deadline {
    /// `None`: no timeout (`request_timeout_secs = 0`).
    limit: Option<Duration>,
    // Boxed: armed only for slow handlers, and unboxed it would make every request's
    // future larger by a timer entry.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Deadline {
    pub(crate) fn new(limit: Option<Duration>) -> Self {
        Deadline { limit, sleep: None }
    }

    /// The inner future is pending: `Ready(the 408)` once the limit has passed (the timer
    /// is armed on the first call), else `Pending` (woken when it passes).
    pub(crate) fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<Response> {
        let Some(limit) = self.limit else {
            return Poll::Pending;
        };
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        std::task::ready!(sleep.as_mut().poll(cx));
        tracing::warn!(
            seconds = limit.as_secs_f64(),
            "request timed out; answered 408"
        );
        Poll::Ready((StatusCode::REQUEST_TIMEOUT, "Request Timeout").into_response())
    }
}
