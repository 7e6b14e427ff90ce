//! Validation errors in FastAPI's exact shape:
//! `{"detail":[{"type": ..., "loc": [...], "msg": ..., "input": ..., "ctx": {...}}]}`.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

/// One segment of an error location: a field name or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Loc {
    /// A field, parameter or source name (`"body"`, `"price"`).
    Key(String),
    /// A list index.
    Index(usize),
}

impl From<&str> for Loc {
    fn from(s: &str) -> Self {
        Loc::Key(s.to_string())
    }
}

impl From<usize> for Loc {
    fn from(i: usize) -> Self {
        Loc::Index(i)
    }
}

/// One validation error, as FastAPI (pydantic v2) reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorItem {
    /// The error type, with pydantic's names: `missing`, `int_parsing`, `greater_than_equal`, ...
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Where: the source (`path`, `query`, `header`, `cookie`, `body`) then the field path.
    pub loc: Vec<Loc>,
    /// A readable message.
    pub msg: String,
    /// The offending input.
    pub input: Value,
    /// Parameters of the rule (`{"ge": 1}`), when it has any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Map<String, Value>>,
}

impl ErrorItem {
    /// An error without context.
    pub fn new(kind: &'static str, loc: Vec<Loc>, msg: impl Into<String>, input: Value) -> Self {
        ErrorItem {
            kind,
            loc,
            msg: msg.into(),
            input,
            ctx: None,
        }
    }

    /// Add a context entry.
    #[must_use]
    pub fn with_ctx(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.ctx
            .get_or_insert_with(Map::new)
            .insert(key.to_string(), value.into());
        self
    }
}

/// Every validation error of a request; answered as 422 `{"detail": [...]}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidationErrors(pub Vec<ErrorItem>);

impl ValidationErrors {
    /// No errors.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl IntoResponse for ValidationErrors {
    fn into_response(self) -> Response {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(serde_json::json!({ "detail": self.0 })),
        )
            .into_response()
    }
}
