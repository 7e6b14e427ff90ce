//! OpenAPI 3.1 for Trellis: the document generated from the routes, the validated input
//! types and the dependency graph, and the docs UIs served offline.
//!
//! Install the battery and the project serves `/openapi.json`; its `openapi` command prints
//! the document:
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//! use trellis_http::{App, AppConfig};
//! use trellis_http::extract::Query;
//! use trellis_http::routing::{Router, get};
//!
//! #[derive(Deserialize, JsonSchema)]
//! struct Page { #[schemars(range(min = 1))] page: u32 }
//!
//! async fn list(Query(p): Query<Page>) -> String { p.page.to_string() }
//!
//! let api = AppConfig::new("api").mount("/api").routes(Router::api().route("/items", get(list).name("items")));
//! let app = App::new("shop").install(api).install(trellis_openapi::app(trellis_openapi::OpenApiConfig::default()));
//! ```

mod generate;
pub mod ui;

use std::sync::Arc;

use serde_json::Value;
use trellis_http::AppConfig;
use trellis_http::app::Command;
use trellis_http::extract::State;
use trellis_http::response::{HttpError, IntoResponse, Response};
use trellis_http::routing::{Router, get};
use trellis_http::validation::ValidationResponse;

pub use generate::{DocumentInfo, document};

/// When the document and the docs pages are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serve {
    /// Always.
    Always,
    /// Only with `debug` on (the default, as FastAPI projects usually configure it).
    InDebug,
    /// Never (the `openapi` command still prints the document).
    Never,
}

/// Configuration of the OpenAPI battery.
#[derive(Debug, Clone)]
pub struct OpenApiConfig {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`.
    pub description: Option<String>,
    /// Where the document is served.
    pub openapi_url: String,
    /// When it and the docs pages are served.
    pub serve: Serve,
    /// The Swagger UI page (`None`: off).
    pub swagger_path: Option<String>,
    /// The ReDoc page (`None`: off).
    pub redoc_path: Option<String>,
    /// `servers` of the document (URLs); none by default (the serving host).
    pub servers: Vec<String>,
}

impl Default for OpenApiConfig {
    fn default() -> Self {
        OpenApiConfig {
            title: "API".into(),
            version: "0.1.0".into(),
            description: None,
            openapi_url: "/openapi.json".into(),
            serve: Serve::InDebug,
            swagger_path: Some("/docs".into()),
            redoc_path: Some("/redoc".into()),
            servers: Vec::new(),
        }
    }
}

/// The generated document, as app state.
#[derive(Debug, Clone)]
pub struct OpenApi {
    /// The document.
    pub document: Arc<Value>,
    /// Whether it is served over HTTP.
    pub served: bool,
}

/// Route guard: the battery's routes answer 404 when the document is not served.
async fn when_served(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let served = trellis_http::AppState::current()
        .and_then(|a| a.get::<OpenApi>().map(|o| o.served))
        .unwrap_or(false);
    if served {
        next.run(req).await
    } else {
        HttpError::not_found("Not Found").into_response()
    }
}

async fn openapi_json(State(api): State<OpenApi>) -> Response {
    let mut resp = axum_json(&api.document);
    resp.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-cache"),
    );
    resp
}

fn axum_json(v: &Value) -> Response {
    axum::Json(v).into_response()
}

/// The OpenAPI battery as an installable app: `/openapi.json` and the `openapi` command.
pub fn app(config: OpenApiConfig) -> AppConfig {
    let url = config.openapi_url.clone();
    let hidden = vec![url.clone()];
    let cfg = config.clone();
    let docs = ui::docs_router(&ui::DocsConfig {
        openapi_url: url.clone(),
        swagger_path: config.swagger_path.clone(),
        redoc_path: config.redoc_path.clone(),
        title: config.title.clone(),
    });
    let mut router = Router::new().route(&url, get(openapi_json).name("openapi-json"));
    if config.swagger_path.is_some() || config.redoc_path.is_some() {
        router = router.include("", docs);
    }
    AppConfig::new("openapi")
        .mount("/")
        .namespace("openapi")
        .routes(router.route_layer(axum::middleware::from_fn(when_served)))
        .on_build(move |cx| {
            let validation = cx
                .states
                .get::<ValidationResponse>()
                .cloned()
                .unwrap_or_default();
            let info = DocumentInfo {
                title: cfg.title.clone(),
                version: cfg.version.clone(),
                description: cfg.description.clone(),
                hidden_paths: hidden.clone(),
                validation_status: validation.status.as_u16(),
                validation_schema: validation.schema.map(|f| f()),
                servers: cfg.servers.clone(),
            };
            let doc = document(cx.routes, &info);
            let served = match cfg.serve {
                Serve::Always => true,
                Serve::InDebug => cx.settings.debug,
                Serve::Never => false,
            };
            cx.states.insert(OpenApi {
                document: Arc::new(doc),
                served,
            });
            Ok(())
        })
        .command(Command::new(
            "openapi",
            "Print the OpenAPI document (JSON)",
            |cx| async move {
                let api = cx
                    .app
                    .get::<OpenApi>()
                    .ok_or("the OpenAPI battery is not installed")?;
                let text =
                    serde_json::to_string_pretty(&*api.document).map_err(|e| e.to_string())?;
                println!("{text}");
                Ok(())
            },
        ))
}
