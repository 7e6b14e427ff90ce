//! Responses: anything a handler returns converts into one ([`IntoResponse`]).
//!
//! Text (`&'static str`, `String`), [`Html`], [`Json`], [`Redirect`], streaming bodies
//! ([`Body::from_stream`]), files ([`FileResponse`]), a status with a body
//! (`(StatusCode, body)`), and errors ([`HttpError`], answered as `{"detail": ...}`).

mod error;
mod file;
mod status;

pub use crate::extract::Json;
pub use axum::body::Body;
pub use axum::response::{Html, IntoResponse, IntoResponseParts, Redirect, Response};
pub use error::HttpError;
pub use file::FileResponse;
pub use status::{Created, ErrorDetail, JsonExcludeNone, NoContent};

/// Escape text for HTML (element content and quoted attributes): `& < > " '`.
///
/// ```
/// assert_eq!(trellis_http::response::escape_html("<a href=\"x\">"), "&lt;a href=&quot;x&quot;&gt;");
/// ```
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}
