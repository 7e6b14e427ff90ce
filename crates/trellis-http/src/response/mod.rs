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
