//! # Trellis
//!
//! Django's batteries and FastAPI's typed async APIs, in Rust. This facade re-exports the
//! batteries and gives every project binary its management commands:
//!
//! ```no_run
//! use trellis::prelude::*;
//!
//! async fn hello(Query(q): Query<std::collections::HashMap<String, String>>) -> Json<serde_json::Value> {
//!     let name = q.get("name").map_or("World", String::as_str);
//!     Json(serde_json::json!({ "message": format!("Hello, {name}!") }))
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     let app = App::new("mysite")
//!         .settings(|s| s.debug = true)
//!         .route("/hello", get(hello).name("hello"));
//!     trellis::run(app) // runserver, routes, check [--deploy], and the apps' own commands
//! }
//! ```
//!
//! The request cycle lives in [`trellis_http`]: server → middleware → routing →
//! dependencies/extractors → handler → response.

pub mod cli;
pub mod db;
mod db_commands;
pub mod guide;

pub use cli::run;
/// JSON Schema derive for validated types: `#[derive(JsonSchema)]`.
pub use schemars::{self, JsonSchema};
pub use trellis_http::{
    App, AppConfig, AppState, BuiltApp, Method, StatusCode, app, deps, extract, handler, http,
    middleware, response, routing, server, settings, testing, validation,
};
#[cfg(feature = "openapi")]
pub use trellis_openapi as openapi;
/// The ORM: models, QuerySets, transactions, signals, migrations.
pub use trellis_orm as orm;
#[cfg(feature = "templates")]
pub use trellis_templates as templates;

/// The names most projects use.
pub mod prelude {
    pub use crate::deps::{Declare, Dep, Dependency, Fresh, Outcome, Resolver};
    pub use crate::extract::{
        Bytes, Cookie, CookieJar, Cookies, Describe, Form, Header, HeaderMap, Json, Path, PeerAddr,
        Query, Request, State,
    };
    /// `#[handler]`, the attribute (its name also brings the `handler` module).
    pub use crate::handler;
    pub use crate::handler::blocking;
    pub use crate::middleware::{Next, from_fn};
    pub use crate::response::{
        Body, FileResponse, Html, HttpError, IntoResponse, Redirect, Response,
    };
    pub use crate::routing::{Router, Urls, delete, get, options, patch, post, put};
    #[cfg(feature = "templates")]
    pub use crate::templates::{Templates, context};
    pub use crate::{App, AppConfig, JsonSchema, Method, StatusCode};
}

/// The README's examples, compiled as doc tests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
