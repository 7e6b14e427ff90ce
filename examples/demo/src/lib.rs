//! The Trellis demo site: every battery in use. It shows the request cycle end to end:
//! a home page rendered from a template, a blog app with named routes, a JSON API with
//! dependencies (a sub-dependency and a teardown), a blocking CPU-bound endpoint, and the
//! benchmark endpoints `/plaintext` and `/json`.

pub mod api;
pub mod blog;
mod pages;

use trellis::App;
use trellis::routing::get;

/// A development secret, as Django's `startproject` writes one: `check --deploy` flags it.
const DEV_SECRET_KEY: &str = "trellis-insecure-3x!v0m#9q$demo-only-change-me-in-production";

/// The demo project.
pub fn app() -> App {
    App::new("demo")
        .settings(|s| {
            s.debug = true;
            s.secret_key = Some(DEV_SECRET_KEY.into());
        })
        .templates(concat!(env!("CARGO_MANIFEST_DIR"), "/templates"))
        .static_files(concat!(env!("CARGO_MANIFEST_DIR"), "/static"))
        .install(trellis::templates::app())
        .install(blog::app())
        .install(api::app())
        .install(trellis::openapi::app(trellis::openapi::OpenApiConfig {
            title: "Trellis demo".into(),
            description: Some("The demo site's JSON API.".into()),
            ..Default::default()
        }))
        .route("/", get(pages::home).name("home"))
        .route("/plaintext", get(pages::plaintext).name("plaintext"))
        .route("/json", get(pages::json).name("json"))
        .command(pages::greet_command())
}
