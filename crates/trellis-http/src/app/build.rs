//! Building an [`App`]: flatten routes, check them, run app hooks, assemble the layers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tower::Layer;
use tower_http::services::ServeDir;

use super::checks::CheckMessage;
use super::command::Command;
use super::config::CheckFn;
use super::state::{AppState, AppStateInner, StateMap};
use super::{App, HttpService};
use crate::middleware::wrap;
use crate::routing::{
    Flattened, PatternError, RouteInfo, UrlMap, Urls, check_converters, method_not_allowed,
    not_found,
};
use crate::settings::{Settings, SettingsError};

/// The app cannot start. The message names the route, name, type or setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Bad settings.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// A route pattern that does not parse.
    #[error(transparent)]
    Pattern(#[from] PatternError),
    /// Two routes with one name.
    #[error("route name `{name}` is used by both `{first}` and `{second}`")]
    DuplicateName {
        /// The name.
        name: String,
        /// First pattern.
        first: String,
        /// Second pattern.
        second: String,
    },
    /// Two routes that the dispatcher cannot tell apart.
    #[error("route `{pattern}` conflicts with another route: {message}")]
    Conflict {
        /// The pattern.
        pattern: String,
        /// The dispatcher's explanation.
        message: String,
    },
    /// A handler reads app state that was never registered.
    #[error(
        "route `{route}` reads `State<{type_name}>`, but no such state is registered: call `App::state(...)`"
    )]
    MissingState {
        /// The route pattern.
        route: String,
        /// The missing type.
        type_name: &'static str,
    },
    /// The dependency graph of a route has a cycle.
    #[error("route `{route}`: {message}")]
    Dependency {
        /// The route pattern.
        route: String,
        /// The cycle.
        message: String,
    },
    /// An app's start-up hook failed.
    #[error("app `{app}`: {message}")]
    Hook {
        /// The app label.
        app: String,
        /// Its message.
        message: String,
    },
}

/// What app start-up hooks see and may change.
#[derive(Debug)]
pub struct BuildContext<'a> {
    /// The project's label.
    pub project: &'a str,
    /// The app running this hook.
    pub app: &'a str,
    /// The settings.
    pub settings: &'a Settings,
    /// Named routes.
    pub urls: &'a Urls,
    /// Template folders: the project's first, then each app's in install order.
    pub template_dirs: &'a [PathBuf],
    /// Every route, with what each handler reads (for generated documents like OpenAPI).
    pub routes: &'a [RouteInfo],
    /// App-scoped state: insert singletons here.
    pub states: &'a mut StateMap,
}

/// A built app: the service to serve, its state, its commands and checks.
pub struct BuiltApp {
    /// The service, every layer applied.
    pub service: HttpService,
    /// The shared state.
    pub state: AppState,
    /// Management commands of the project and its apps.
    pub commands: Vec<Command>,
    pub(crate) checks: Vec<CheckFn>,
}

impl std::fmt::Debug for BuiltApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltApp")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl BuiltApp {
    /// Run the apps' own system checks.
    pub fn run_checks(&self) -> Vec<CheckMessage> {
        self.checks
            .iter()
            .flat_map(|c| c(self.state.settings()))
            .collect()
    }
}

impl App {
    /// Build with settings loaded from defaults, `trellis.toml` and the environment.
    pub fn build(self) -> Result<BuiltApp, StartupError> {
        let settings = self.load_settings()?;
        self.build_with(settings)
    }

    /// Build with these settings.
    pub fn build_with(self, settings: Settings) -> Result<BuiltApp, StartupError> {
        settings.validate()?;
        let settings = Arc::new(settings);
        let App {
            label,
            project,
            apps,
            layers,
            mut states,
            overrides,
            ..
        } = self;

        // 1. Routes: flatten every app's router under its prefix and namespace.
        let mut flat = Flattened::default();
        let mut all_apps = vec![project];
        all_apps.extend(apps);
        for app in &mut all_apps {
            let router = std::mem::take(&mut app.router);
            let ns: Vec<String> = app.effective_namespace().into_iter().collect();
            router.flatten(&app.effective_prefix(), &ns, false, &[], &mut flat)?;
        }

        // 2. Names and conflicts.
        let mut urls = UrlMap::new();
        let mut matcher = matchit::Router::new();
        let mut infos = Vec::with_capacity(flat.routes.len());
        let mut seen_paths: HashMap<String, String> = HashMap::new();
        for (i, r) in flat.routes.iter().enumerate() {
            if let Some(name) = &r.name
                && let Some(prev) = urls.insert(name.clone(), r.pattern.clone())
            {
                return Err(StartupError::DuplicateName {
                    name: name.clone(),
                    first: prev.to_string(),
                    second: r.pattern.to_string(),
                });
            }
            let path = r.pattern.to_router_path();
            if let Some(prev) = seen_paths.insert(path.clone(), r.pattern.to_string()) {
                return Err(StartupError::Conflict {
                    pattern: r.pattern.to_string(),
                    message: format!(
                        "`{prev}` has the same shape; put all methods of one path in one route"
                    ),
                });
            }
            matcher
                .insert(path, i)
                .map_err(|e| StartupError::Conflict {
                    pattern: r.pattern.to_string(),
                    message: e.to_string(),
                })?;
            for (_, op) in &r.route.ops {
                if let Some(e) = op.errors.first() {
                    return Err(StartupError::Dependency {
                        route: r.pattern.to_string(),
                        message: e.clone(),
                    });
                }
            }
            infos.push(RouteInfo {
                pattern: r.pattern.clone(),
                name: r.name.clone(),
                api: r.api,
                hidden: r.route.hidden,
                ops: r.route.ops.clone(),
            });
        }
        let urls = Urls(Arc::new(urls));

        // 3. App hooks (batteries register their state here), then state checks.
        let template_dirs: Vec<PathBuf> = all_apps
            .iter()
            .flat_map(|a| a.template_dirs.clone())
            .collect();
        let static_dirs: Vec<PathBuf> = all_apps
            .iter()
            .flat_map(|a| a.static_dirs.clone())
            .collect();
        let mut commands = Vec::new();
        let mut checks = Vec::new();
        for app in &mut all_apps {
            for hook in std::mem::take(&mut app.hooks) {
                let mut cx = BuildContext {
                    project: &label,
                    app: &app.label,
                    settings: &settings,
                    urls: &urls,
                    template_dirs: &template_dirs,
                    routes: &infos,
                    states: &mut states,
                };
                hook(&mut cx).map_err(|message| StartupError::Hook {
                    app: app.label.clone(),
                    message,
                })?;
            }
            commands.extend(std::mem::take(&mut app.commands));
            checks.extend(std::mem::take(&mut app.checks));
        }
        for info in &infos {
            for (_, op) in &info.ops {
                for (id, type_name) in &op.states {
                    if !states.contains(*id) {
                        return Err(StartupError::MissingState {
                            route: info.pattern.to_string(),
                            type_name,
                        });
                    }
                }
            }
        }

        let state = AppState(Arc::new(AppStateInner {
            label,
            settings: settings.clone(),
            urls,
            states,
            overrides,
            blocking: Arc::new(Semaphore::new(settings.blocking_threads)),
            routes: Arc::new(infos),
            matcher,
            api_prefixes: flat.api_prefixes,
        }));

        // 4. The dispatcher.
        let mut router = axum::Router::new();
        for r in flat.routes {
            let mut method_router = r.route.inner;
            // Validated inputs of every method are checked together before the handler.
            let by_method: Vec<_> = r
                .route
                .ops
                .iter()
                .filter(|(_, op)| !op.validated.is_empty())
                .map(|(m, op)| (m.clone(), op.validated.clone()))
                .collect();
            if !by_method.is_empty() {
                let inputs = Arc::new(crate::extract::RouteInputs::new(by_method));
                method_router = method_router.route_layer(crate::extract::PrevalidateLayer(inputs));
            }
            if r.pattern.has_typed_params() {
                let pattern = Arc::new(r.pattern.clone());
                method_router = method_router.route_layer(axum::middleware::from_fn_with_state(
                    pattern,
                    check_converters,
                ));
            }
            // Route layers of the enclosing routers: the outermost router's runs first.
            for layer in r.layers.iter().rev() {
                method_router = layer(method_router);
            }
            router = router.route(&r.pattern.to_router_path(), method_router);
        }
        if settings.debug && !static_dirs.is_empty() {
            let mut dirs = static_dirs.into_iter().rev();
            let last = dirs.next().map(ServeDir::new);
            if let Some(last) = last {
                let service = dirs.fold(tower::util::BoxCloneSyncService::new(last), |acc, dir| {
                    tower::util::BoxCloneSyncService::new(ServeDir::new(dir).fallback(acc))
                });
                router = router.nest_service(settings.static_url.trim_end_matches('/'), service);
            }
        }
        // `with_state` turns every handler into a route now, as `axum::serve` does per
        // connection; without it each request would clone and box its handler.
        let router: axum::Router = router
            .method_not_allowed_fallback(method_not_allowed)
            .fallback(not_found)
            .with_state(());

        // 5. Layers around the whole dispatcher, innermost first: the handler panic
        //    guard, the request scope, the project's middleware (first added =
        //    outermost), the body limit for extractors, the default stack, the app state.
        let debug = settings.debug;
        let core = super::core::CoreLayer {
            debug,
            body_limit: settings.body_limit,
        }
        .layer(router);
        // Without project middleware the whole stack is one concrete type, erased once.
        let service = if layers.is_empty() {
            wrap(core, &settings, state.clone())
        } else {
            let mut service = HttpService::from_always_ready(core);
            for layer in layers.into_iter().rev() {
                service = layer(service);
            }
            wrap(service, &settings, state.clone())
        }
        .map_err(|m| StartupError::Settings(SettingsError::Invalid(m)))?;

        Ok(BuiltApp {
            service,
            state,
            commands,
            checks,
        })
    }
}
