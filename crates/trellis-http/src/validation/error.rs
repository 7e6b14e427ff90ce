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

type RenderFn = dyn Fn(&[ErrorItem]) -> Value + Send + Sync;

/// How an app answers validation errors: FastAPI's 422 `{"detail": [...]}` by default;
/// another status and body shape when the project says so (`App::validation_errors`).
/// The OpenAPI document follows.
#[derive(Clone)]
pub struct ValidationResponse {
    /// The status answered.
    pub status: StatusCode,
    render: Option<std::sync::Arc<RenderFn>>,
    /// The JSON Schema of the body, for the OpenAPI document (`None`: FastAPI's
    /// `HTTPValidationError`).
    pub schema: Option<fn() -> Value>,
}

impl std::fmt::Debug for ValidationResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidationResponse")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Default for ValidationResponse {
    fn default() -> Self {
        ValidationResponse {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            render: None,
            schema: None,
        }
    }
}

impl ValidationResponse {
    /// Answer with `status` and the body `render` makes from the errors; `schema` documents it.
    pub fn custom(
        status: StatusCode,
        render: impl Fn(&[ErrorItem]) -> Value + Send + Sync + 'static,
        schema: Option<fn() -> Value>,
    ) -> Self {
        ValidationResponse {
            status,
            render: Some(std::sync::Arc::new(render)),
            schema,
        }
    }

    /// The answer for these errors.
    pub fn respond(&self, errors: &[ErrorItem]) -> Response {
        let body = match &self.render {
            Some(f) => f(errors),
            None => serde_json::json!({ "detail": errors }),
        };
        (self.status, axum::Json(body)).into_response()
    }
}

impl IntoResponse for ValidationErrors {
    fn into_response(self) -> Response {
        match crate::app::current_app().and_then(|a| a.get::<ValidationResponse>().cloned()) {
            Some(custom) => custom.respond(&self.0),
            None => ValidationResponse::default().respond(&self.0),
        }
    }
}
