//! Templates for Trellis: [minijinja] (Jinja2 syntax) with per-app template folders,
//! autoescape on for `.html`/`.htm`/`.xml`, inheritance, and the `url(name, **params)` and
//! `static(path)` helpers.
//!
//! The battery is an installable app: `App::new("site").install(trellis_templates::app())`.
//! Template folders are searched in order: the project's (`App::templates`), then each
//! installed app's (`AppConfig::templates`) in install order, so a project overrides an
//! app's template by writing one with the same name. In debug, templates reload when their
//! file changes, and a template error answers a 500 page naming the file and line.
//!
//! ```
//! use trellis_http::App;
//! use trellis_http::extract::State;
//! use trellis_http::response::{Html, HttpError};
//! use trellis_http::routing::get;
//! use trellis_templates::{Templates, context};
//!
//! async fn home(State(t): State<Templates>) -> Result<Html<String>, HttpError> {
//!     t.render("home.html", context! { title => "Welcome" })
//! }
//!
//! let app = App::new("site")
//!     .templates("templates")
//!     .install(trellis_templates::app())
//!     .route("/", get(home).name("home"));
//! ```

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use minijinja::value::Kwargs;
use minijinja::{Environment, Error, ErrorKind, Value};
use serde::Serialize;
use trellis_http::AppConfig;
use trellis_http::app::BuildContext;
use trellis_http::response::{Html, HttpError, IntoResponse, escape_html};
use trellis_http::routing::Urls;

pub use minijinja::context;

/// The template engine of an app; a [`State`](trellis_http::extract::State) in handlers.
#[derive(Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
    debug: bool,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("debug", &self.debug)
            .finish_non_exhaustive()
    }
}

/// The templates battery as an installable app.
pub fn app() -> AppConfig {
    AppConfig::new("templates").on_build(|cx: &mut BuildContext<'_>| {
        let templates = Templates::new(
            cx.template_dirs.to_vec(),
            cx.urls.clone(),
            &cx.settings.static_url,
            cx.settings.debug,
        );
        cx.states.insert(templates);
        Ok(())
    })
}

fn safe_join(dir: &Path, name: &str) -> Option<PathBuf> {
    let rel = Path::new(name);
    if rel.components().all(|c| matches!(c, Component::Normal(_))) {
        Some(dir.join(rel))
    } else {
        None
    }
}

impl Templates {
    /// An engine over these folders (searched in order).
    pub fn new(dirs: Vec<PathBuf>, urls: Urls, static_url: &str, debug: bool) -> Self {
        let mut env = Environment::new();
        env.set_debug(debug);
        env.set_auto_reload(debug);
        let loaders: Vec<_> = dirs.iter().map(minijinja::path_loader).collect();
        let searched = dirs.clone();
        env.set_loader(move |name| {
            for (dir, loader) in searched.iter().zip(&loaders) {
                if safe_join(dir, name).is_some_and(|p| p.is_file()) {
                    return loader(name);
                }
            }
            Ok(None)
        });
        // Both helpers return safe strings: reversed URLs are percent-encoded, quotes included.
        env.add_function(
            "url",
            move |name: &str, kwargs: Kwargs| -> Result<Value, Error> {
                let mut params = Vec::new();
                for key in kwargs.args() {
                    let v: Value = kwargs.get(key)?;
                    params.push((key.to_string(), v.to_string()));
                }
                urls.reverse(name, params)
                    .map(Value::from_safe_string)
                    .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
            },
        );
        let static_url = static_url.to_string();
        env.add_function("static", move |path: &str| -> Value {
            let encoded = trellis_http::routing::UrlMap::encode_path(path.trim_start_matches('/'));
            Value::from_safe_string(format!("{static_url}{encoded}"))
        });
        Templates {
            env: Arc::new(env),
            debug,
        }
    }

    /// Render a template to a string.
    pub fn render_string<C: Serialize>(&self, name: &str, ctx: C) -> Result<String, Error> {
        self.env
            .get_template(name)?
            .render(Value::from(minijinja::value::Serde(&ctx)))
    }

    /// Render a template as an HTML response. A failure is logged with the template's file
    /// and line; in debug the 500 page shows them, otherwise a generic page.
    pub fn render<C: Serialize>(&self, name: &str, ctx: C) -> Result<Html<String>, HttpError> {
        self.render_string(name, ctx)
            .map(Html)
            .map_err(|e| self.error_response(name, &e))
    }

    fn error_response(&self, name: &str, e: &Error) -> HttpError {
        let file = e.name().unwrap_or(name).to_string();
        let line = e
            .line()
            .map(|l| l.to_string())
            .unwrap_or_else(|| "?".into());
        tracing::error!(template = %file, line = %line, error = %e, "template error");
        let body = if self.debug {
            format!(
                "<!doctype html><html><head><meta charset=\"utf-8\"><title>TemplateError</title></head><body>\
                 <h1>Template error in {} line {}</h1><pre>{}</pre></body></html>",
                escape_html(&file),
                escape_html(&line),
                escape_html(&format!("{}\n{}", e, e.display_debug_info()))
            )
        } else {
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Server Error</title></head>\
             <body><h1>Server Error (500)</h1></body></html>"
                .to_string()
        };
        HttpError::from_response(
            (http::StatusCode::INTERNAL_SERVER_ERROR, Html(body)).into_response(),
        )
    }
}
