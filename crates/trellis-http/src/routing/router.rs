//! [`Router`]: routes with typed patterns and names, includes with prefixes and namespaces.

use axum::handler::Handler;
use http::Method;

use super::pattern::{Pattern, PatternError};
use crate::extract::{HandlerArgs, OperationInfo};

/// The handlers of one path, by method, with an optional route name.
///
/// Made by [`get`], [`post`], ... and chained: `get(list).post(create).name("items")`.
pub struct MethodRoute {
    pub(crate) inner: axum::routing::MethodRouter,
    pub(crate) ops: Vec<(Method, OperationInfo)>,
    pub(crate) name: Option<String>,
    pub(crate) hidden: bool,
}

impl std::fmt::Debug for MethodRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MethodRoute")
            .field(
                "methods",
                &self.ops.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(),
            )
            .field("name", &self.name)
            .finish()
    }
}

/// What a route records of handler `H` with arguments `T`: its inputs and, when `H` is a
/// `#[handler]` fn, the summary and description from its doc comments.
fn describe<H: 'static, T: HandlerArgs>() -> OperationInfo {
    let mut op = OperationInfo::default();
    T::describe(&mut op);
    crate::handler::fill_from_handler::<H>(&mut op.docs);
    op
}

macro_rules! method_fns {
    ($($fn_name:ident => $method:ident),*) => {
        $(
            #[doc = concat!("Route `", stringify!($method), "` requests to `handler`.")]
            pub fn $fn_name<H, T>(handler: H) -> MethodRoute
            where
                H: Handler<T, ()>,
                T: HandlerArgs + 'static,
            {
                MethodRoute {
                    inner: axum::routing::$fn_name(handler),
                    ops: vec![(Method::$method, describe::<H, T>())],
                    name: None,
                    hidden: false,
                }
            }
        )*

        impl MethodRoute {
            $(
                #[doc = concat!("Also route `", stringify!($method), "` requests to `handler`.")]
                pub fn $fn_name<H, T>(mut self, handler: H) -> Self
                where
                    H: Handler<T, ()>,
                    T: HandlerArgs + 'static,
                {
                    self.inner = self.inner.$fn_name(handler);
                    self.ops.push((Method::$method, describe::<H, T>()));
                    self
                }
            )*
        }
    };
}

method_fns!(get => GET, post => POST, put => PUT, patch => PATCH, delete => DELETE, options => OPTIONS);

impl MethodRoute {
    /// Name the route, for `reverse()` and the `url()` template helper.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Document a response of the method added last: its status, meaning and body type.
    ///
    /// ```
    /// use trellis_http::routing::get;
    /// use trellis_http::response::HttpError;
    ///
    /// #[derive(serde::Serialize, schemars::JsonSchema)]
    /// struct Item { id: u64 }
    ///
    /// async fn show() -> Result<trellis_http::extract::Json<Item>, HttpError> { Err(HttpError::not_found("no")) }
    ///
    /// let route = get(show).response::<Item>(200, "The item").response::<()>(404, "No such item");
    /// ```
    #[must_use]
    pub fn response<T: schemars::JsonSchema + 'static>(
        mut self,
        status: u16,
        description: &str,
    ) -> Self {
        fn schema<T: schemars::JsonSchema>() -> serde_json::Value {
            schemars::schema_for!(T).to_value()
        }
        let is_unit = std::any::TypeId::of::<T>() == std::any::TypeId::of::<()>();
        if let Some((_, op)) = self.ops.last_mut() {
            op.responses.push(crate::extract::ResponseSpec {
                status,
                description: description.to_string(),
                schema: if is_unit { None } else { Some(schema::<T>) },
            });
        }
        self
    }

    /// The summary of the method added last, in the OpenAPI document.
    #[must_use]
    pub fn summary(mut self, text: &str) -> Self {
        if let Some((_, op)) = self.ops.last_mut() {
            op.docs.summary = Some(text.to_string());
        }
        self
    }

    /// The description (Markdown) of the method added last, in the OpenAPI document.
    #[must_use]
    pub fn description(mut self, text: &str) -> Self {
        if let Some((_, op)) = self.ops.last_mut() {
            op.docs.description = Some(text.to_string());
        }
        self
    }

    /// Tag the method added last (replaces the default tag, the app's namespace).
    #[must_use]
    pub fn tag(mut self, tag: &str) -> Self {
        if let Some((_, op)) = self.ops.last_mut() {
            op.docs.tags.push(tag.to_string());
        }
        self
    }

    /// Mark the method added last deprecated in the OpenAPI document.
    #[must_use]
    pub fn deprecated(mut self) -> Self {
        if let Some((_, op)) = self.ops.last_mut() {
            op.docs.deprecated = true;
        }
        self
    }

    /// Leave this route out of generated API documents (OpenAPI), like FastAPI's
    /// `include_in_schema=False`.
    #[must_use]
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    /// The methods routed, in order.
    pub fn methods(&self) -> impl Iterator<Item = &Method> {
        self.ops.iter().map(|(m, _)| m)
    }

    /// What each method's handler reads and how it is documented, in order.
    pub fn operations(&self) -> &[(Method, OperationInfo)] {
        &self.ops
    }
}

pub(crate) enum Entry {
    Route(String, Box<MethodRoute>),
    Include {
        prefix: String,
        namespace: Option<String>,
        router: Box<Router>,
    },
}

/// A set of routes: patterns with typed parameters, mapped to [`MethodRoute`]s, plus
/// included routers mounted under a prefix, optionally in a namespace.
///
/// ```
/// use trellis_http::routing::{Router, get};
///
/// async fn index() -> &'static str { "posts" }
/// async fn detail() -> &'static str { "one post" }
///
/// let blog = Router::new()
///     .route("/", get(index).name("index"))
///     .route("/{id:int}/", get(detail).name("post-detail"));
/// let site = Router::new().include_namespaced("/blog", "blog", blog);
/// // reverse("blog:post-detail", [("id", 3)]) == "/blog/3/"
/// ```
///
/// Patterns: `{name}` (str), `{name:int}`, `{name:slug}`, `{name:uuid}`, `{name:path}`
/// (the rest of the path). A value its converter refuses does not match (404).
#[derive(Default)]
pub struct Router {
    pub(crate) entries: Vec<Entry>,
    pub(crate) api: bool,
    pub(crate) layers: Vec<RouteLayerFn>,
}

pub(crate) type RouteLayerFn = std::sync::Arc<
    dyn Fn(axum::routing::MethodRouter) -> axum::routing::MethodRouter + Send + Sync,
>;

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("routes", &self.entries.len())
            .field("api", &self.api)
            .finish()
    }
}

impl Router {
    /// An empty router for site pages (404/405 answered as HTML pages).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty router for an API: 404 and 405 are answered as JSON `{"detail": ...}`.
    pub fn api() -> Self {
        Router {
            entries: Vec::new(),
            layers: Vec::new(),
            api: true,
        }
    }

    /// Wrap every route of this router (and of the routers it includes) in a tower layer
    /// that runs after the route matched, like axum's `route_layer`: a guard on a group of
    /// routes.
    #[must_use]
    pub fn route_layer<L>(mut self, layer: L) -> Self
    where
        L: tower::Layer<axum::routing::Route> + Clone + Send + Sync + 'static,
        L::Service: tower::Service<axum::extract::Request, Error = std::convert::Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Response:
            axum::response::IntoResponse + 'static,
        <L::Service as tower::Service<axum::extract::Request>>::Future: Send + 'static,
    {
        self.layers.push(std::sync::Arc::new(
            move |mr: axum::routing::MethodRouter| mr.route_layer(layer.clone()),
        ));
        self
    }

    /// Add a route.
    #[must_use]
    pub fn route(mut self, pattern: &str, route: MethodRoute) -> Self {
        self.entries
            .push(Entry::Route(pattern.to_string(), Box::new(route)));
        self
    }

    /// Mount another router under `prefix` (Django's `include()`), names unchanged.
    #[must_use]
    pub fn include(mut self, prefix: &str, router: Router) -> Self {
        self.entries.push(Entry::Include {
            prefix: prefix.to_string(),
            namespace: None,
            router: Box::new(router),
        });
        self
    }

    /// Mount another router under `prefix`, its route names in `namespace` (`blog:index`).
    #[must_use]
    pub fn include_namespaced(mut self, prefix: &str, namespace: &str, router: Router) -> Self {
        self.entries.push(Entry::Include {
            prefix: prefix.to_string(),
            namespace: Some(namespace.to_string()),
            router: Box::new(router),
        });
        self
    }

    /// Flatten into full patterns with qualified names.
    pub(crate) fn flatten(
        self,
        prefix: &str,
        namespace: &[String],
        api: bool,
        inherited: &[RouteLayerFn],
        out: &mut Flattened,
    ) -> Result<(), PatternError> {
        let api = api || self.api;
        if self.api {
            out.api_prefixes
                .push(prefix.trim_end_matches('/').to_string());
        }
        for entry in self.entries {
            match entry {
                Entry::Route(raw, route) => {
                    let pattern = Pattern::parse(&raw)?.prefixed(prefix);
                    let name = route.name.as_ref().map(|n| {
                        let mut parts: Vec<&str> = namespace.iter().map(String::as_str).collect();
                        parts.push(n);
                        parts.join(":")
                    });
                    let mut layers = inherited.to_vec();
                    layers.extend(self.layers.iter().cloned());
                    out.routes.push(FlatRoute {
                        pattern,
                        name,
                        api,
                        route: *route,
                        layers,
                    });
                }
                Entry::Include {
                    prefix: inner,
                    namespace: ns,
                    router,
                } => {
                    if !inner.starts_with('/') && !inner.is_empty() {
                        return Err(PatternError {
                            pattern: inner,
                            message: "include prefix must start with `/`".into(),
                        });
                    }
                    let full = format!(
                        "{}{}",
                        prefix.trim_end_matches('/'),
                        inner.trim_end_matches('/')
                    );
                    let mut chain = namespace.to_vec();
                    chain.extend(ns);
                    let mut inner_layers = inherited.to_vec();
                    inner_layers.extend(self.layers.iter().cloned());
                    router.flatten(&full, &chain, api, &inner_layers, out)?;
                }
            }
        }
        Ok(())
    }
}

pub(crate) struct FlatRoute {
    pub(crate) pattern: Pattern,
    pub(crate) name: Option<String>,
    pub(crate) api: bool,
    pub(crate) route: MethodRoute,
    /// Route layers of the enclosing routers, outermost router first.
    pub(crate) layers: Vec<RouteLayerFn>,
}

#[derive(Default)]
pub(crate) struct Flattened {
    pub(crate) routes: Vec<FlatRoute>,
    pub(crate) api_prefixes: Vec<String>,
}

/// A route as the app sees it after start-up: for `routes`, OpenAPI and error pages.
#[derive(Debug, Clone)]
pub struct RouteInfo {
    pub(crate) pattern: Pattern,
    pub(crate) name: Option<String>,
    pub(crate) api: bool,
    pub(crate) hidden: bool,
    pub(crate) ops: Vec<(Method, OperationInfo)>,
}

impl RouteInfo {
    /// The full pattern (`/blog/{id:int}/`).
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// The qualified name (`blog:post-detail`), if named.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Whether the route is left out of generated API documents.
    pub fn is_hidden(&self) -> bool {
        self.hidden
    }

    /// Whether errors on this route are answered as JSON.
    pub fn is_api(&self) -> bool {
        self.api
    }

    /// The methods routed (`HEAD` is implied by `GET`).
    pub fn methods(&self) -> Vec<&Method> {
        self.ops.iter().map(|(m, _)| m).collect()
    }

    /// What each method's handler reads: inputs, dependency graph, state.
    pub fn operations(&self) -> &[(Method, OperationInfo)] {
        &self.ops
    }
}
