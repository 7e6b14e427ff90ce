//! Panics become 500 answers: logged, the message hidden unless in debug.

use std::any::Any;

use axum::response::{IntoResponse, Response};
use http::StatusCode;

/// Marks a 500 response made from a panic; carries the panic message.
/// The test client re-raises it so that a panic fails the test that caused it.
#[derive(Debug, Clone)]
pub struct PanicMessage(pub String);

pub(crate) fn panic_response(err: Box<dyn Any + Send + 'static>, debug: bool) -> Response {
    let msg = if let Some(s) = err.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = err.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "panic with a non-string payload".to_string()
    };
    tracing::error!(panic = %msg, "handler panicked; answered 500");
    let detail = if debug {
        format!("Internal Server Error: panic: {msg}")
    } else {
        "Internal Server Error".into()
    };
    let mut resp = (
        StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(serde_json::json!({ "detail": detail })),
    )
        .into_response();
    resp.extensions_mut().insert(PanicMessage(msg));
    resp
}

pin_project_lite::pin_project! {
    /// A future whose panics (while polling) become 500 answers ([`panic_response`]), or
    /// that answer made already (a panic while making the future). The handler's panic guard.
    #[project = PanicProj]
    pub(crate) enum PanicFuture<F> {
        Inner { #[pin] fut: F, debug: bool },
        Ready { resp: Option<Response> },
    }
}

impl<F> std::future::Future for PanicFuture<F>
where
    F: std::future::Future<Output = Result<Response, std::convert::Infallible>>,
{
    type Output = Result<Response, std::convert::Infallible>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        match self.project() {
            PanicProj::Inner { fut, debug } => {
                let debug = *debug;
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.poll(cx))) {
                    Ok(p) => p,
                    Err(e) => std::task::Poll::Ready(Ok(panic_response(e, debug))),
                }
            }
            PanicProj::Ready { resp } => {
                std::task::Poll::Ready(Ok(resp.take().expect("polled after completion")))
            }
        }
    }
}
