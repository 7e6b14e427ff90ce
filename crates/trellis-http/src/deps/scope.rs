//! The per-request scope: the dependency cache and the teardown stack.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::response::Response;
use futures_util::future::BoxFuture;
use http::StatusCode;

use crate::middleware::PanicMessage;

type Teardown = Box<dyn FnOnce(Outcome) -> BoxFuture<'static, ()> + Send>;

/// How the request ended, as a teardown sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    status: StatusCode,
    panicked: bool,
}

impl Outcome {
    /// The outcome of a response with this status.
    pub fn new(status: StatusCode, panicked: bool) -> Self {
        Outcome { status, panicked }
    }

    /// The response status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The handler (or a dependency) failed: an error status (4xx/5xx) or a panic.
    /// Use it to roll back instead of committing.
    pub fn failed(&self) -> bool {
        self.panicked || self.status.is_client_error() || self.status.is_server_error()
    }

    /// The handler panicked.
    pub fn panicked(&self) -> bool {
        self.panicked
    }
}

/// The dependency cache and teardown stack of one request.
#[derive(Default)]
pub struct RequestScope {
    pub(crate) cache: Mutex<HashMap<TypeId, Box<dyn Any + Send>>>,
    teardowns: Mutex<Vec<(&'static str, Teardown)>>,
}

impl std::fmt::Debug for RequestScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestScope").finish_non_exhaustive()
    }
}

impl RequestScope {
    pub(crate) fn push_teardown(&self, owner: &'static str, t: Teardown) {
        self.teardowns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((owner, t));
    }

    /// Run the teardowns, last registered first (like FastAPI's exit stack).
    pub async fn run_teardowns(&self, outcome: Outcome) {
        loop {
            let next = self
                .teardowns
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop();
            let Some((owner, teardown)) = next else { break };
            let fut = std::panic::AssertUnwindSafe(teardown(outcome));
            if futures_util::FutureExt::catch_unwind(fut).await.is_err() {
                tracing::error!(dependency = owner, "teardown panicked");
            }
        }
    }
}

/// The current request's scope: created on first use, or `None` outside a request.
pub(crate) fn current_scope() -> Option<Arc<RequestScope>> {
    crate::app::REQUEST
        .try_with(|r| {
            r.scope
                .borrow_mut()
                .get_or_insert_with(|| Arc::new(RequestScope::default()))
                .clone()
        })
        .ok()
}

pin_project_lite::pin_project! {
    /// Runs the inner future with the request scope as a task-local, then the teardowns
    /// (boxed, and only when a dependency registered some).
    #[project = ScopeProj]
    pub(crate) enum ScopeFuture<F: Future> {
        Running { #[pin] fut: F },
        TearingDown { fut: BoxFuture<'static, ()>, resp: Option<Response> },
    }
}

impl<F: Future> ScopeFuture<F> {
    /// Run `fut` in a fresh request scope.
    pub(crate) fn new(fut: F) -> Self {
        ScopeFuture::Running { fut }
    }
}

impl<F> Future for ScopeFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        loop {
            match self.as_mut().project() {
                ScopeProj::Running { mut fut } => {
                    let Ok(resp) = std::task::ready!(fut.as_mut().poll(cx));
                    let scope = crate::app::REQUEST
                        .try_with(|r| r.scope.borrow_mut().take())
                        .ok()
                        .flatten();
                    let Some(scope) = scope else {
                        return std::task::Poll::Ready(Ok(resp));
                    };
                    let panicked = resp.extensions().get::<PanicMessage>().is_some();
                    let outcome = Outcome::new(resp.status(), panicked);
                    let teardown = Box::pin(async move { scope.run_teardowns(outcome).await });
                    self.set(ScopeFuture::TearingDown {
                        fut: teardown,
                        resp: Some(resp),
                    });
                }
                ScopeProj::TearingDown { fut, resp } => {
                    std::task::ready!(fut.as_mut().poll(cx));
                    return std::task::Poll::Ready(Ok(resp
                        .take()
                        .expect("polled after completion")));
                }
            }
        }
    }
}
