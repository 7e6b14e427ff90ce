//! Attribute macros of Trellis' request cycle. Use them through `trellis` (or
//! `trellis_http`), which re-exports them: `#[trellis::handler]`.
//!
//! This crate is a thin layer: each macro parses its input and hands it to a function of
//! `proc_macro2` tokens ([`handler::expand`](crate::handler)), unit-tested here.

use proc_macro::TokenStream;

mod handler;

/// Mark a handler so that its `///` doc comments document its routes in OpenAPI, as
/// FastAPI takes an endpoint's docstring.
///
/// The first paragraph of the doc comment becomes the operation's `summary` (its lines
/// joined, a final period dropped), the paragraphs after it its `description` (Markdown
/// kept), and `#[deprecated]` marks the
/// operation `deprecated`. `.summary()` and `.description()` on the route still win. A
/// route whose handler is not marked keeps the summary made from the route's name.
///
/// The function itself is left unchanged: it can still be called directly, and it can be
/// `async` or a plain `fn` routed through `blocking`.
///
/// ```
/// use trellis_http::handler;
/// use trellis_http::routing::get;
///
/// /// List the items.
/// ///
/// /// A page of items, newest first. Filter them with `q`.
/// #[handler]
/// async fn list_items() -> &'static str {
///     "[]"
/// }
///
/// let route = get(list_items);
/// let docs = &route.operations()[0].1.docs;
/// assert_eq!(docs.summary.as_deref(), Some("List the items"));
/// assert_eq!(docs.description.as_deref(), Some("A page of items, newest first. Filter them with `q`."));
///
/// // Set explicitly, the summary wins over the doc comment.
/// let route = get(list_items).summary("All items");
/// assert_eq!(route.operations()[0].1.docs.summary.as_deref(), Some("All items"));
/// ```
///
/// The attribute goes on free functions (in a module or in a function body), not on
/// methods, and not on generic functions: a generic handler has no single type to look
/// up, so document its routes with `.summary()` and `.description()`.
///
/// How it works: next to the function the attribute registers (with the `inventory`
/// crate) its doc text under the `TypeId` of the function's own type, and `get(f)` looks
/// that type up when the route is built.
#[proc_macro_attribute]
pub fn handler(attr: TokenStream, item: TokenStream) -> TokenStream {
    handler::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
