//! `#[handler]`: doc comments reach the routes built from the handler, wherever it is
//! declared, async or blocking, and explicit `.summary()`/`.description()` win.

use trellis_http::extract::{OperationDocs, Path};
use trellis_http::handler;
use trellis_http::handler::blocking;
use trellis_http::routing::{MethodRoute, get};

fn docs(route: &MethodRoute, index: usize) -> &OperationDocs {
    &route.operations()[index].1.docs
}

fn text(docs: &OperationDocs) -> (Option<&str>, Option<&str>) {
    (docs.summary.as_deref(), docs.description.as_deref())
}

/// Show one item.
///
/// Answers 404 when there is no such item.
///
/// ```json
/// {"id": 1}
/// ```
#[handler]
async fn show(Path(id): Path<u32>) -> String {
    id.to_string()
}

async fn undocumented() -> &'static str {
    ""
}

mod nested {
    pub(crate) mod deeper {
        use trellis_http::handler;

        /// Count the items.
        #[handler]
        pub(crate) async fn count() -> &'static str {
            "0"
        }
    }
}

/// Compute a Fibonacci number
/// on the blocking pool.
#[trellis_http::handler]
fn fib(Path(n): Path<u32>) -> String {
    n.to_string()
}

/// An old way to list.
#[handler]
#[deprecated = "use `show`"]
async fn old() -> &'static str {
    ""
}

#[test]
fn summary_and_description_come_from_the_doc_comment() {
    let route = get(show);
    assert_eq!(
        text(docs(&route, 0)),
        (
            Some("Show one item"),
            Some("Answers 404 when there is no such item.\n\n```json\n{\"id\": 1}\n```")
        )
    );
    assert!(!docs(&route, 0).deprecated);
}

#[test]
fn explicit_summary_and_description_win() {
    let route = get(show).summary("One item");
    assert_eq!(
        text(docs(&route, 0)),
        (
            Some("One item"),
            Some("Answers 404 when there is no such item.\n\n```json\n{\"id\": 1}\n```")
        )
    );
    let route = get(show).description("Plain.");
    assert_eq!(
        text(docs(&route, 0)),
        (Some("Show one item"), Some("Plain."))
    );
}

#[test]
fn each_method_gets_its_own_handler_docs() {
    let route = get(undocumented).post(show).put(nested::deeper::count);
    assert_eq!(text(docs(&route, 0)), (None, None));
    assert_eq!(docs(&route, 1).summary.as_deref(), Some("Show one item"));
    assert_eq!(text(docs(&route, 2)), (Some("Count the items"), None));
}

#[test]
fn handlers_declared_in_a_function_body_are_found() {
    /// Inside a test.
    #[handler]
    async fn inner() -> &'static str {
        ""
    }
    /// Same name, other function.
    #[handler]
    async fn count() -> &'static str {
        ""
    }
    assert_eq!(text(docs(&get(inner), 0)), (Some("Inside a test"), None));
    assert_eq!(
        docs(&get(count), 0).summary.as_deref(),
        Some("Same name, other function")
    );
    assert_eq!(
        docs(&get(nested::deeper::count), 0).summary.as_deref(),
        Some("Count the items")
    );
}

#[test]
fn blocking_handlers_keep_their_docs() {
    let route = get(blocking(fib));
    assert_eq!(
        text(docs(&route, 0)),
        (
            Some("Compute a Fibonacci number on the blocking pool"),
            None
        )
    );
}

#[test]
#[allow(deprecated)]
fn deprecated_handlers_are_deprecated_operations() {
    let route = get(old);
    assert!(docs(&route, 0).deprecated);
    assert_eq!(
        docs(&route, 0).summary.as_deref(),
        Some("An old way to list")
    );
}

#[tokio::test]
async fn the_function_is_unchanged() {
    assert_eq!(show(Path(7)).await, "7");
    assert_eq!(fib(Path(5)), "5");
    assert_eq!(nested::deeper::count().await, "0");
}
