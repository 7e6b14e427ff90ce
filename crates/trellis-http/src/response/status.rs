//! Responses with a declared status: [`Created`] (201) and [`NoContent`] (204), and the
//! [`ErrorDetail`] body type to document `{"detail": ...}` answers.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;

/// 201 Created with a JSON body.
#[derive(Debug, Clone)]
pub struct Created<T>(pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, axum::Json(self.0)).into_response()
    }
}

/// 204 No Content: an empty body.
#[derive(Debug, Clone, Copy)]
pub struct NoContent;

impl IntoResponse for NoContent {
    fn into_response(self) -> Response {
        StatusCode::NO_CONTENT.into_response()
    }
}

/// The body of an [`HttpError`](super::HttpError) answer, for documenting responses:
/// `get(show).response::<ErrorDetail>(404, "No such item")`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ErrorDetail {
    /// What went wrong.
    pub detail: serde_json::Value,
}
