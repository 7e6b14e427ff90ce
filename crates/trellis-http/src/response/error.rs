//! [`HttpError`]: FastAPI's `HTTPException` for Trellis.

use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde_json::Value;

/// An error answered as `{"detail": ...}` with a status and optional extra headers,
/// like FastAPI's `HTTPException`. Return it from handlers and dependencies.
///
/// ```
/// use trellis_http::response::HttpError;
/// use http::StatusCode;
///
/// async fn get_item(id: u32) -> Result<String, HttpError> {
///     if id == 0 {
///         return Err(HttpError::new(StatusCode::NOT_FOUND, "Item not found")
///             .with_header("x-error", "missing-item"));
///     }
///     Ok(format!("item {id}"))
/// }
/// ```
#[derive(Debug)]
pub struct HttpError {
    repr: Box<Repr>,
}

#[derive(Debug)]
enum Repr {
    Detail {
        status: StatusCode,
        detail: Value,
        headers: HeaderMap,
    },
    Response(Box<Response>),
}

impl HttpError {
    /// An error with this status and `detail` (any JSON value: a string, a list, an object).
    pub fn new(status: StatusCode, detail: impl Into<Value>) -> Self {
        HttpError {
            repr: Box::new(Repr::Detail {
                status,
                detail: detail.into(),
                headers: HeaderMap::new(),
            }),
        }
    }

    /// 400 Bad Request.
    pub fn bad_request(detail: impl Into<Value>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 401 Unauthorized, with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(detail: impl Into<Value>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail).with_header("www-authenticate", "Bearer")
    }

    /// 403 Forbidden.
    pub fn forbidden(detail: impl Into<Value>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// 404 Not Found.
    pub fn not_found(detail: impl Into<Value>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// 500 Internal Server Error; the message is logged, the client sees a generic detail.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
    }

    /// Wrap a ready response (e.g. an extractor's rejection).
    pub fn from_response(response: Response) -> Self {
        HttpError {
            repr: Box::new(Repr::Response(Box::new(response))),
        }
    }

    /// Add a header to the answer. Invalid names or values are dropped with a log line.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        let headers = match &mut *self.repr {
            Repr::Detail { headers, .. } => headers,
            Repr::Response(r) => r.headers_mut(),
        };
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(n), Ok(v)) => {
                headers.append(n, v);
            }
            _ => tracing::warn!(
                header = name,
                "HttpError::with_header: invalid header dropped"
            ),
        }
        self
    }

    /// The status answered.
    pub fn status(&self) -> StatusCode {
        match &*self.repr {
            Repr::Detail { status, .. } => *status,
            Repr::Response(r) => r.status(),
        }
    }

    /// The `detail` value, when this error was built from one.
    pub fn detail(&self) -> Option<&Value> {
        match &*self.repr {
            Repr::Detail { detail, .. } => Some(detail),
            Repr::Response(_) => None,
        }
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.repr {
            Repr::Detail { status, detail, .. } => write!(f, "{status}: {detail}"),
            Repr::Response(r) => write!(f, "{}", r.status()),
        }
    }
}

impl std::error::Error for HttpError {}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        match *self.repr {
            Repr::Detail {
                status,
                detail,
                headers,
            } => {
                let mut resp =
                    (status, axum::Json(serde_json::json!({ "detail": detail }))).into_response();
                for (name, value) in &headers {
                    resp.headers_mut().append(name, value.clone());
                }
                if status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
                    *resp.body_mut() = axum::body::Body::empty();
                }
                resp
            }
            Repr::Response(r) => *r,
        }
    }
}

impl From<Response> for HttpError {
    fn from(r: Response) -> Self {
        HttpError::from_response(r)
    }
}
