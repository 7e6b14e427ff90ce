//! The request cycle of Trellis, top to bottom:
//!
//! 1. [`server`]: hyper (through axum) accepts connections, HTTP/1.1 and HTTP/2.
//! 2. [`middleware`]: the ordered default stack and the project's own middleware.
//! 3. [`routing`]: the URL dispatcher finds the route (typed patterns, names, `reverse`).
//! 4. [`deps`] and [`extract`]: the handler's arguments are extracted and its dependencies solved.
//! 5. [`handler`](mod@handler): the async (or blocking) handler runs.
//! 6. [`response`]: its return value becomes the response; errors become `{"detail": ...}`.
//!
//! Around them: [`settings`] (typed settings), [`app`] (the project and its installable
//! apps, built into the service), and [`testing`] (an in-process test client).
//!
//! Most users reach this crate through the `trellis` facade and its prelude.

pub mod app;
pub mod deps;
pub mod extract;
pub mod handler;
pub mod middleware;
pub mod response;
pub mod routing;
pub mod server;
pub mod settings;
pub mod testing;
pub mod validation;

pub use app::{App, AppConfig, AppState, BuiltApp};
pub use http::{self, Method, StatusCode};
/// `#[handler]`: a handler's `///` doc comments become its routes' OpenAPI summary and
/// description (the attribute shares its name with the [`handler`](mod@handler) module).
pub use trellis_macros::handler;
