//! The project: an [`App`] made of installable apps ([`AppConfig`]), its settings,
//! middleware, app-scoped state and dependency overrides. Building it yields the
//! service the server runs and the [`AppState`] every request sees.

mod build;
mod checks;
mod command;
mod config;
mod core;
mod service;
mod state;

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

pub use build::{BuildContext, BuiltApp, StartupError};
pub use checks::{CheckMessage, Level, deploy_checks};
pub use command::{Command, CommandContext};
pub use config::AppConfig;
pub use service::HttpService;
pub use state::{AppState, StateMap};
pub(crate) use state::{ContextLayer, REQUEST, RequestLocal, current_app, with_current_app};

use crate::deps::Dependency;
use crate::response::HttpError;
use crate::routing::{MethodRoute, Router};
use crate::settings::{Settings, SettingsError, SettingsLoader};
use state::OverrideFn;

type LayerFn = Box<dyn FnOnce(HttpService) -> HttpService + Send>;

/// A Trellis project: the site's own routes plus installed apps, settings, middleware,
/// state and dependency overrides.
///
/// ```
/// use trellis_http::App;
/// use trellis_http::routing::get;
///
/// async fn home() -> &'static str { "Hello" }
///
/// let app = App::new("mysite")
///     .settings(|s| s.debug = true)
///     .route("/", get(home).name("home"));
/// ```
pub struct App {
    pub(crate) label: String,
    pub(crate) loader: SettingsLoader,
    pub(crate) project: AppConfig,
    pub(crate) apps: Vec<AppConfig>,
    pub(crate) layers: Vec<LayerFn>,
    pub(crate) states: StateMap,
    pub(crate) overrides: HashMap<TypeId, OverrideFn>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("label", &self.label)
            .field(
                "apps",
                &self
                    .apps
                    .iter()
                    .map(|a| a.label.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl App {
    /// A new project named `label`.
    pub fn new(label: impl Into<String>) -> Self {
        let label = label.into();
        App {
            project: AppConfig::new(label.clone()).mount("/").namespace(""),
            label,
            loader: SettingsLoader::new(),
            apps: Vec::new(),
            layers: Vec::new(),
            states: StateMap::default(),
            overrides: HashMap::new(),
        }
    }

    /// The project's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Project defaults for settings, applied before `trellis.toml` and the environment.
    #[must_use]
    pub fn settings(mut self, f: impl Fn(&mut Settings) + Send + Sync + 'static) -> Self {
        self.loader = self.loader.defaults(f);
        self
    }

    /// Replace the settings loader (e.g. to read another file).
    #[must_use]
    pub fn settings_loader(mut self, loader: SettingsLoader) -> Self {
        self.loader = loader;
        self
    }

    /// Load settings: defaults < `trellis.toml` < environment.
    pub fn load_settings(&self) -> Result<Settings, SettingsError> {
        self.loader.load()
    }

    /// A route of the project itself.
    #[must_use]
    pub fn route(mut self, pattern: &str, route: MethodRoute) -> Self {
        self.project.router = self.project.router.route(pattern, route);
        self
    }

    /// Mount a router of the project under `prefix` (names unchanged).
    #[must_use]
    pub fn include(mut self, prefix: &str, router: Router) -> Self {
        self.project.router = self.project.router.include(prefix, router);
        self
    }

    /// The project's template folder (searched before the apps').
    #[must_use]
    pub fn templates(mut self, dir: impl Into<PathBuf>) -> Self {
        self.project = self.project.templates(dir);
        self
    }

    /// The project's static folder.
    #[must_use]
    pub fn static_files(mut self, dir: impl Into<PathBuf>) -> Self {
        self.project = self.project.static_files(dir);
        self
    }

    /// A project-level management command.
    #[must_use]
    pub fn command(mut self, command: Command) -> Self {
        self.project = self.project.command(command);
        self
    }

    /// Install an app. Apps are searched (templates, static files) in install order.
    #[must_use]
    pub fn install(mut self, app: AppConfig) -> Self {
        self.apps.push(app);
        self
    }

    /// Add a tower layer around every route. Layers added first are outermost.
    #[must_use]
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: tower::Layer<HttpService> + Send + 'static,
        L::Service: tower::Service<axum::extract::Request, Error = std::convert::Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Response:
            axum::response::IntoResponse + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Future: Send + 'static,
    {
        self.layers.push(Box::new(move |inner: HttpService| {
            let service = tower::ServiceBuilder::new()
                .map_response(axum::response::IntoResponse::into_response)
                .layer(layer)
                .service(inner);
            HttpService::new(service)
        }));
        self
    }

    /// Add a function middleware made with [`from_fn`](crate::middleware::from_fn)
    /// (the same as [`layer`](Self::layer); reads better for Django-style middleware).
    #[must_use]
    pub fn middleware<L>(self, layer: L) -> Self
    where
        L: tower::Layer<HttpService> + Send + 'static,
        L::Service: tower::Service<axum::extract::Request, Error = std::convert::Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Response:
            axum::response::IntoResponse + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Future: Send + 'static,
    {
        self.layer(layer)
    }

    /// Register an app-scoped singleton, read by handlers with
    /// [`State<T>`](crate::extract::State) and by dependencies with `Resolver::app_state`.
    #[must_use]
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(value);
        self
    }

    /// Answer validation errors with another status and body shape than FastAPI's 422
    /// `{"detail": [...]}` (the OpenAPI document follows).
    ///
    /// ```
    /// use trellis_http::{App, StatusCode};
    /// use trellis_http::validation::ValidationResponse;
    ///
    /// let app = App::new("t").validation_errors(ValidationResponse::custom(
    ///     StatusCode::BAD_REQUEST,
    ///     |errors| serde_json::json!({ "errors": errors.iter().map(|e| e.msg.clone()).collect::<Vec<_>>() }),
    ///     None,
    /// ));
    /// ```
    #[must_use]
    pub fn validation_errors(self, response: crate::validation::ValidationResponse) -> Self {
        self.state(response)
    }

    /// A custom check for a validated type, run after its schema checks (FastAPI's
    /// validators); each failure is a `value_error` in the same 422.
    ///
    /// ```
    /// use trellis_http::App;
    /// use trellis_http::validation::CheckError;
    ///
    /// #[derive(serde::Deserialize, schemars::JsonSchema)]
    /// struct Range { start: u32, end: u32 }
    ///
    /// let app = App::new("t").check::<Range>(|r| {
    ///     if r.end < r.start {
    ///         vec![CheckError { path: vec!["end".into()], message: "must not be before start".into() }]
    ///     } else {
    ///         vec![]
    ///     }
    /// });
    /// ```
    #[must_use]
    pub fn check<T: 'static>(
        mut self,
        check: impl Fn(&T) -> Vec<crate::validation::CheckError> + Send + Sync + 'static,
    ) -> Self {
        let mut checks = self
            .states
            .get::<crate::validation::Checks>()
            .cloned()
            .unwrap_or_default();
        checks.add::<T>(check);
        self.states.insert(checks);
        self
    }

    /// Run `garde` validation (its `custom(...)` functions included) on a validated type.
    #[must_use]
    pub fn garde<T>(self) -> Self
    where
        T: garde::Validate + 'static,
        T::Context: Default,
    {
        self.check::<T>(|value| match value.validate() {
            Ok(()) => Vec::new(),
            Err(report) => crate::validation::garde_errors(&report),
        })
    }

    /// Replace a dependency by a fixed value everywhere it is used (tests).
    ///
    /// ```
    /// # use trellis_http::{App, deps::{Dependency, Resolver}, response::HttpError};
    /// #[derive(Clone)]
    /// struct CurrentUser(String);
    /// impl Dependency for CurrentUser {
    ///     async fn resolve(_: &mut Resolver<'_>) -> Result<Self, HttpError> {
    ///         Err(HttpError::unauthorized("Not authenticated"))
    ///     }
    /// }
    /// let app = App::new("t").override_dependency(CurrentUser("ada".into()));
    /// ```
    #[must_use]
    pub fn override_dependency<T: Dependency>(self, value: T) -> Self {
        self.override_dependency_with::<T, _, _>(move || {
            let v = value.clone();
            async move { Ok(v) }
        })
    }

    /// Replace a dependency by an async factory (tests): a fresh value per resolution.
    #[must_use]
    pub fn override_dependency_with<T, F, Fut>(mut self, f: F) -> Self
    where
        T: Dependency,
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, HttpError>> + Send + 'static,
    {
        let f: OverrideFn = Arc::new(move || {
            let fut = f();
            Box::pin(async move { fut.await.map(|v| Box::new(v) as Box<dyn Any + Send>) })
        });
        self.overrides.insert(TypeId::of::<T>(), f);
        self
    }

    /// Management commands of the project and its installed apps.
    pub fn commands(&self) -> impl Iterator<Item = &Command> {
        self.project
            .commands
            .iter()
            .chain(self.apps.iter().flat_map(|a| a.commands.iter()))
    }

    /// Remove an override.
    #[must_use]
    pub fn clear_override<T: Dependency>(mut self) -> Self {
        self.overrides.remove(&TypeId::of::<T>());
        self
    }
}
