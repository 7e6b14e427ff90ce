//! [`Describe`]: what a handler argument tells the framework about itself at start-up.

use std::any::TypeId;

use crate::deps::DepNode;

/// What one handler argument needs from the request, recorded at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Path parameters, deserialized into this type.
    Path(&'static str),
    /// Query string, deserialized into this type.
    Query(&'static str),
    /// A JSON body of this type.
    Json(&'static str),
    /// An urlencoded form of this type.
    Form(&'static str),
    /// The raw body.
    Body,
    /// Request headers.
    Headers,
    /// Cookies.
    Cookies,
    /// Validated headers, into this type.
    Header(&'static str),
    /// Validated cookies, into this type.
    Cookie(&'static str),
    /// Anything else, by type name.
    Other(&'static str),
}

/// What a route's handler needs, collected once at start-up from its argument types:
/// its inputs, its dependency graph, and the app state it reads.
#[derive(Debug, Clone, Default)]
pub struct OperationInfo {
    /// Inputs read from the request.
    pub inputs: Vec<Input>,
    /// Dependency trees, one per `Dep`/`Fresh` argument.
    pub dependencies: Vec<DepNode>,
    /// App-scoped state types the handler reads (`State<T>`), checked at start-up.
    pub states: Vec<(TypeId, &'static str)>,
    /// Dependency-graph errors found while describing (cycles).
    pub errors: Vec<String>,
    /// Validated inputs (path, query, headers, cookies, body), checked together before
    /// the handler runs.
    pub validated: Vec<super::typed::InputSpec>,
    /// Documented responses (`MethodRoute::response`), in order.
    pub responses: Vec<ResponseSpec>,
    /// Documentation of the operation (`MethodRoute::summary`, `description`, `tag`,
    /// `deprecated`).
    pub docs: OperationDocs,
}

/// What the OpenAPI document says of an operation besides its inputs and responses.
#[derive(Debug, Clone, Default)]
pub struct OperationDocs {
    /// One line.
    pub summary: Option<String>,
    /// Longer text (Markdown).
    pub description: Option<String>,
    /// Tags (default: the app's namespace).
    pub tags: Vec<String>,
    /// Marked deprecated.
    pub deprecated: bool,
}

/// A documented response of an operation.
#[derive(Clone)]
pub struct ResponseSpec {
    /// The status code.
    pub status: u16,
    /// What it means.
    pub description: String,
    /// The JSON Schema of the body, if it has one.
    pub schema: Option<fn() -> serde_json::Value>,
}

impl std::fmt::Debug for ResponseSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseSpec")
            .field("status", &self.status)
            .field("description", &self.description)
            .finish()
    }
}

/// A handler argument that can describe itself. Every extractor used in a Trellis route
/// implements it; for your own extractor an empty impl is enough:
///
/// ```
/// use trellis_http::extract::Describe;
/// struct ClientIp(std::net::IpAddr);
/// impl Describe for ClientIp {}
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a Trellis handler argument",
    label = "not a Trellis extractor",
    note = "Trellis handler arguments implement `Describe` (and axum's `FromRequestParts`/`FromRequest`); for your own extractor add `impl trellis::extract::Describe for {Self} {{}}`; for a dependency use `Dep<{Self}>`"
)]
pub trait Describe {
    /// Record what this argument reads.
    fn describe(op: &mut OperationInfo) {
        let _ = op;
    }
}

/// The arguments of a handler, as a tuple; implemented for axum's handler argument tuples.
pub trait HandlerArgs {
    /// Describe every argument.
    fn describe(op: &mut OperationInfo);
}

impl HandlerArgs for ((),) {
    fn describe(_: &mut OperationInfo) {}
}

macro_rules! impl_handler_args {
    ($($ty:ident),+) => {
        impl<M, $($ty: Describe,)+> HandlerArgs for (M, $($ty,)+) {
            fn describe(op: &mut OperationInfo) {
                $($ty::describe(op);)+
            }
        }
    };
}

impl_handler_args!(T1);
impl_handler_args!(T1, T2);
impl_handler_args!(T1, T2, T3);
impl_handler_args!(T1, T2, T3, T4);
impl_handler_args!(T1, T2, T3, T4, T5);
impl_handler_args!(T1, T2, T3, T4, T5, T6);
impl_handler_args!(T1, T2, T3, T4, T5, T6, T7);
impl_handler_args!(T1, T2, T3, T4, T5, T6, T7, T8);
impl_handler_args!(T1, T2, T3, T4, T5, T6, T7, T8, T9);
impl_handler_args!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10);
impl_handler_args!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11);
impl_handler_args!(T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12);
