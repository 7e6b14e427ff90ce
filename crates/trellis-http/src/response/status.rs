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

/// JSON without the `null` fields, like FastAPI's `response_model_exclude_none=True`
/// (nested objects too). For one type, `#[serde(skip_serializing_if = "Option::is_none")]`
/// on its fields does the same at no cost.
///
/// ```
/// use trellis_http::response::JsonExcludeNone;
///
/// #[derive(serde::Serialize)]
/// struct User { name: String, nickname: Option<String> }
///
/// async fn me() -> JsonExcludeNone<User> {
///     JsonExcludeNone(User { name: "Ada".into(), nickname: None }) // {"name":"Ada"}
/// }
/// ```
#[derive(Debug, Clone)]
pub struct JsonExcludeNone<T>(pub T);

fn strip_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

impl<T: Serialize> IntoResponse for JsonExcludeNone<T> {
    fn into_response(self) -> Response {
        match serde_json::to_value(&self.0) {
            Ok(mut v) => {
                strip_nulls(&mut v);
                axum::Json(v).into_response()
            }
            Err(e) => super::HttpError::internal(format!("response serialization failed: {e}"))
                .into_response(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_are_left_out_at_every_level() {
        let mut v =
            serde_json::json!({"a": 1, "b": null, "c": {"d": null, "e": [ {"f": null, "g": 2} ]}});
        strip_nulls(&mut v);
        assert_eq!(v, serde_json::json!({"a": 1, "c": {"e": [{"g": 2}]}}));
    }
}
