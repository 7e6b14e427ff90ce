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
