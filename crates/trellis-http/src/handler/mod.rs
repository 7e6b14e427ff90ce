//! Handlers: `async fn`s taking extractors and returning anything that converts into a
//! response, or plain `fn`s wrapped in [`blocking`] that run on the blocking pool.
//!
//! ```
//! use trellis_http::extract::{Json, Query};
//! use trellis_http::response::{HttpError, IntoResponse};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Hello { name: Option<String> }
//!
//! async fn hello(Query(q): Query<Hello>) -> Json<serde_json::Value> {
//!     Json(serde_json::json!({ "message": format!("Hello, {}!", q.name.as_deref().unwrap_or("World")) }))
//! }
//!
//! async fn echo(Json(body): Json<serde_json::Value>) -> Result<impl IntoResponse, HttpError> {
//!     Ok(Json(body))
//! }
//! ```

mod blocking;
mod docs;

pub use axum::handler::Handler;
pub use blocking::{Blocking, BlockingFn, blocking};
#[doc(hidden)]
pub use docs::__private;
pub(crate) use docs::fill_from_handler;
