//! The per-request scope: the dependency cache and the teardown stack.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::middleware::Next;
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

/// Middleware: open the request scope, run the handler, then the teardowns.
pub(crate) async fn scope_layer(mut req: Request, next: Next) -> Response {
    let scope = Arc::new(RequestScope::default());
    req.extensions_mut().insert(scope.clone());
    let resp = next.run(req).await;
    let outcome = Outcome::new(
        resp.status(),
        resp.extensions().get::<PanicMessage>().is_some(),
    );
    scope.run_teardowns(outcome).await;
    resp
}
