//! A small allocation-free tower layer for middleware that checks the request (and may
//! answer early) and then touches the response: the shape of security headers and
//! allowed hosts. Function middleware box a future per request; the default stack, which
//! every request crosses, should not.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;

/// What [`Hook::before`] hands to [`Hook::after`].
#[derive(Debug, Default)]
pub(crate) struct HookState {
    /// The request came over HTTPS (directly or through a trusted proxy).
    pub(crate) secure: bool,
    /// The request id to echo on the response.
    pub(crate) request_id: Option<http::HeaderValue>,
}

/// What such a middleware does.
pub(crate) trait Hook: Clone + Send + Sync + 'static {
    /// Look at (and adjust) the request: `Err(response)` answers early; `Ok(state)` goes
    /// on, and the state is handed to [`after`](Hook::after). The early answer is the rare
    /// path; boxing it would cost every request.
    #[allow(clippy::result_large_err)]
    fn before(&self, req: &mut Request) -> Result<HookState, Response>;

    /// Touch the response.
    fn after(&self, state: HookState, resp: &mut Response);
}

#[derive(Debug, Clone)]
pub(crate) struct HookLayer<H>(pub(crate) H);

impl<S, H: Clone> tower::Layer<S> for HookLayer<H> {
    type Service = HookService<S, H>;
    fn layer(&self, inner: S) -> Self::Service {
        HookService {
            inner,
            hook: self.0.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct HookService<S, H> {
    inner: S,
    hook: H,
}

impl<S, H> tower::Service<Request> for HookService<S, H>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
    H: Hook,
{
    type Response = Response;
    type Error = Infallible;
    type Future = HookFuture<S::Future, H>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        match self.hook.before(&mut req) {
            Ok(state) => HookFuture::Inner {
                fut: self.inner.call(req),
                hook: Some(self.hook.clone()),
                state: Some(state),
            },
            Err(resp) => HookFuture::Early { resp: Some(resp) },
        }
    }
}

pin_project_lite::pin_project! {
    #[project = HookProj]
    pub(crate) enum HookFuture<F, H> {
        Early { resp: Option<Response> },
        Inner { #[pin] fut: F, hook: Option<H>, state: Option<HookState> },
    }
}

impl<F, H> Future for HookFuture<F, H>
where
    F: Future<Output = Result<Response, Infallible>>,
    H: Hook,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            HookProj::Early { resp } => {
                Poll::Ready(Ok(resp.take().expect("polled after completion")))
            }
            HookProj::Inner { fut, hook, state } => {
                let Ok(mut resp) = std::task::ready!(fut.poll(cx));
                if let (Some(h), Some(st)) = (hook.take(), state.take()) {
                    h.after(st, &mut resp);
                }
                Poll::Ready(Ok(resp))
            }
        }
    }
}
