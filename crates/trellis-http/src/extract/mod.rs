//! Extractors: typed handler arguments read from the request.
//!
//! Path parameters ([`Path`]), the query string ([`Query`]), headers ([`HeaderMap`]),
//! cookies ([`CookieJar`]), urlencoded forms ([`Form`]), JSON bodies ([`Json`]), the raw
//! body ([`Bytes`], `String`), app-scoped state ([`State`]), named routes
//! ([`Urls`](crate::routing::Urls)) and dependencies ([`Dep`](crate::deps::Dep)). Each also
//! [describes](Describe) itself at start-up.
//!
//! ```
//! use serde::Deserialize;
//! use trellis_http::extract::{Path, Query};
//!
//! #[derive(Deserialize)]
//! struct Page { page: Option<u32> }
//!
//! async fn post_detail(Path(id): Path<u64>, Query(p): Query<Page>) -> String {
//!     format!("post {id}, page {}", p.page.unwrap_or(1))
//! }
//! ```

mod describe;
mod multipart;
mod peer;
mod state;
mod typed;
mod upload;

use std::any::TypeId;

pub use axum::extract::{Extension, MatchedPath, OriginalUri, RawPathParams, RawQuery, Request};
pub use axum_extra::extract::cookie::{Cookie, CookieJar};
pub use bytes::Bytes;
pub use describe::{Describe, HandlerArgs, Input, OperationDocs, OperationInfo, ResponseSpec};
pub use http::{HeaderMap, Method, Uri};
pub use multipart::Multipart;
pub use peer::PeerAddr;
pub use typed::{Cookies, Form, Header, InputSpec, Json, Path, Query, Source};
pub(crate) use typed::{PrevalidateLayer, RouteInputs};
pub use upload::UploadFile;

/// axum's extractors without validation (errors answered 400 by axum), for types that do
/// not implement `JsonSchema`.
pub mod raw {
    pub use axum::Json;
    pub use axum::extract::{Form, Path, Query};
}
pub use state::State;

use crate::deps::{Dep, DepNode, Dependency, Fresh};
use crate::routing::Urls;

fn name<T>() -> &'static str {
    std::any::type_name::<T>()
}

impl<T> Describe for raw::Path<T> {
    fn describe(op: &mut OperationInfo) {
        op.inputs.push(Input::Path(name::<T>()));
    }
}
impl<T> Describe for raw::Query<T> {
    fn describe(op: &mut OperationInfo) {
        op.inputs.push(Input::Query(name::<T>()));
    }
}
impl<T> Describe for raw::Json<T> {
    fn describe(op: &mut OperationInfo) {
        op.inputs.push(Input::Json(name::<T>()));
    }
}
impl<T> Describe for raw::Form<T> {
    fn describe(op: &mut OperationInfo) {
        op.inputs.push(Input::Form(name::<T>()));
    }
}
impl Describe for Bytes {
    fn describe(op: &mut OperationInfo) {
        op.inputs.push(Input::Body);
    }
}
impl Describe for String {
    fn describe(op: &mut OperationInfo) {
        op.inputs.push(Input::Body);
    }
}
impl Describe for Request {
    fn describe(op: &mut OperationInfo) {
        op.inputs.push(Input::Body);
    }
}
impl Describe for HeaderMap {
    fn describe(op: &mut OperationInfo) {
        op.inputs.push(Input::Headers);
    }
}
impl Describe for CookieJar {
    fn describe(op: &mut OperationInfo) {
        op.inputs.push(Input::Cookies);
    }
}
impl Describe for Method {}
impl Describe for Uri {}
impl Describe for OriginalUri {}
impl Describe for MatchedPath {}
impl Describe for RawPathParams {}
impl Describe for RawQuery {}
impl Describe for Urls {}
impl<T> Describe for Extension<T> {
    fn describe(op: &mut OperationInfo) {
        op.inputs.push(Input::Other(name::<T>()));
    }
}
impl<T: Describe> Describe for Option<T> {
    fn describe(op: &mut OperationInfo) {
        T::describe(op);
    }
}
impl<T: Describe, E> Describe for Result<T, E> {
    fn describe(op: &mut OperationInfo) {
        T::describe(op);
    }
}
impl<T: Dependency> Describe for Dep<T> {
    fn describe(op: &mut OperationInfo) {
        match DepNode::of::<T>(true) {
            Ok(node) => op.dependencies.push(node),
            Err(e) => op.errors.push(e),
        }
    }
}
impl<T: Dependency> Describe for Fresh<T> {
    fn describe(op: &mut OperationInfo) {
        match DepNode::of::<T>(false) {
            Ok(node) => op.dependencies.push(node),
            Err(e) => op.errors.push(e),
        }
    }
}
impl<T: Clone + Send + Sync + 'static> Describe for State<T> {
    fn describe(op: &mut OperationInfo) {
        op.states.push((TypeId::of::<T>(), name::<T>()));
    }
}
