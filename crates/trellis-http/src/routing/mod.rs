//! The URL dispatcher: typed patterns, method routing, includes with prefixes and
//! namespaces, named routes with [`reverse`](UrlMap::reverse), the trailing-slash policy,
//! and 404/405 answers (JSON for API routers, HTML pages for sites).

mod fallback;
mod pattern;
mod router;
mod urls;

pub(crate) use fallback::{check_converters, method_not_allowed, not_found};
pub use pattern::{Converter, Pattern, PatternError, Segment};
pub(crate) use router::Flattened;
pub use router::{MethodRoute, RouteInfo, Router, delete, get, options, patch, post, put};
pub use urls::{NoReverseMatch, UrlMap, Urls};
