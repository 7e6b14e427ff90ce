//! [`AppConfig`]: an installable app (Django's `INSTALLED_APPS` entry).

use std::path::PathBuf;
use std::sync::Arc;

use super::build::BuildContext;
use super::checks::CheckMessage;
use super::command::Command;
use crate::routing::Router;
use crate::settings::Settings;

pub(crate) type BuildHook = Box<dyn FnOnce(&mut BuildContext<'_>) -> Result<(), String> + Send>;
pub(crate) type CheckFn = Arc<dyn Fn(&Settings) -> Vec<CheckMessage> + Send + Sync>;

/// An installable app: its routes (mounted under a prefix, names in its namespace), its
/// template and static folders, management commands, system checks and start-up hooks.
/// Built-in batteries (templates, later the ORM, auth, admin) are apps too.
///
/// ```
/// use trellis_http::{App, AppConfig};
/// use trellis_http::routing::{Router, get};
///
/// async fn index() -> &'static str { "blog" }
///
/// pub fn blog() -> AppConfig {
///     AppConfig::new("blog").routes(Router::new().route("/", get(index).name("index")))
/// }
///
/// let app = App::new("site").install(blog()); // served at /blog/, named "blog:index"
/// ```
pub struct AppConfig {
    pub(crate) label: String,
    pub(crate) prefix: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) router: Router,
    pub(crate) template_dirs: Vec<PathBuf>,
    pub(crate) static_dirs: Vec<PathBuf>,
    pub(crate) commands: Vec<Command>,
    pub(crate) hooks: Vec<BuildHook>,
    pub(crate) checks: Vec<CheckFn>,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("label", &self.label)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl AppConfig {
    /// A new app. Its routes mount at `/<label>` in namespace `<label>` unless told otherwise.
    pub fn new(label: impl Into<String>) -> Self {
        AppConfig {
            label: label.into(),
            prefix: None,
            namespace: None,
            router: Router::new(),
            template_dirs: Vec::new(),
            static_dirs: Vec::new(),
            commands: Vec::new(),
            hooks: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// The app's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The app's routes.
    #[must_use]
    pub fn routes(mut self, router: Router) -> Self {
        self.router = router;
        self
    }

    /// Mount the routes under this prefix (`/` for the site root).
    #[must_use]
    pub fn mount(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// The namespace of route names (`""` for none).
    #[must_use]
    pub fn namespace(mut self, ns: impl Into<String>) -> Self {
        self.namespace = Some(ns.into());
        self
    }

    /// A folder of templates (searched after the project's own, in install order).
    #[must_use]
    pub fn templates(mut self, dir: impl Into<PathBuf>) -> Self {
        self.template_dirs.push(dir.into());
        self
    }

    /// A folder of static files, served under `static_url` in debug.
    #[must_use]
    pub fn static_files(mut self, dir: impl Into<PathBuf>) -> Self {
        self.static_dirs.push(dir.into());
        self
    }

    /// A management command (`<binary> <name> ...`).
    #[must_use]
    pub fn command(mut self, command: Command) -> Self {
        self.commands.push(command);
        self
    }

    /// A system check, run by `check` and at start-up.
    #[must_use]
    pub fn check(
        mut self,
        f: impl Fn(&Settings) -> Vec<CheckMessage> + Send + Sync + 'static,
    ) -> Self {
        self.checks.push(Arc::new(f));
        self
    }

    /// Register an app-scoped singleton (see [`App::state`](crate::App::state)).
    #[must_use]
    pub fn state<T: Clone + Send + Sync + 'static>(self, value: T) -> Self {
        self.on_build(move |cx| {
            cx.states.insert(value);
            Ok(())
        })
    }

    /// Code run once when the app is built, after routing is known: register app state,
    /// read settings, fail start-up with a message.
    #[must_use]
    pub fn on_build(
        mut self,
        f: impl FnOnce(&mut BuildContext<'_>) -> Result<(), String> + Send + 'static,
    ) -> Self {
        self.hooks.push(Box::new(f));
        self
    }

    pub(crate) fn effective_prefix(&self) -> String {
        self.prefix
            .clone()
            .unwrap_or_else(|| format!("/{}", self.label))
    }

    pub(crate) fn effective_namespace(&self) -> Option<String> {
        match &self.namespace {
            Some(ns) if ns.is_empty() => None,
            Some(ns) => Some(ns.clone()),
            None => Some(self.label.clone()),
        }
    }
}
