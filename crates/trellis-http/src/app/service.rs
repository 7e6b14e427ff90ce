//! [`HttpService`]: the type-erased service a built app is.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use futures_util::future::BoxFuture;
use tower::ServiceExt;

type CallFn = dyn Fn(Request) -> BoxFuture<'static, Result<Response, Infallible>> + Send + Sync;

/// The type-erased service a built app is: requests in, responses out, never an error.
///
/// Cloning it (hyper does, once per request) is a reference-count increment; each call
/// clones the concrete service inside on the stack and drives it to completion
/// (readiness first, so layers with back-pressure keep working).
#[derive(Clone)]
pub struct HttpService(Arc<CallFn>);

impl std::fmt::Debug for HttpService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpService")
    }
}

impl HttpService {
    /// Erase a service's type.
    pub fn new<S>(service: S) -> Self
    where
        S: tower::Service<Request, Response = Response, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        HttpService(Arc::new(move |req| Box::pin(service.clone().oneshot(req))))
    }

    /// Erase a service that is always ready (Trellis' own stack over the dispatcher): call
    /// it directly, so that the boxed future holds only the call's state.
    pub(crate) fn from_always_ready<S>(service: S) -> Self
    where
        S: tower::Service<Request, Response = Response, Error = Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        HttpService(Arc::new(move |req| {
            let mut service = service.clone();
            Box::pin(service.call(req))
        }))
    }
}

impl tower::Service<Request> for HttpService {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        (self.0)(req)
    }
}
