//! Templates through a real app: autoescape, inheritance, override order, helpers, errors.

use trellis_http::extract::State;
use trellis_http::response::{Html, HttpError};
use trellis_http::routing::{Router, get};
use trellis_http::testing::TestClient;
use trellis_http::{App, AppConfig};
use trellis_templates::{Templates, context};

fn dir(name: &str) -> String {
    format!("{}/tests/templates/{name}", env!("CARGO_MANIFEST_DIR"))
}

async fn page(State(t): State<Templates>) -> Result<Html<String>, HttpError> {
    t.render(
        "page.html",
        context! { title => "T<1>", content => "<script>alert(1)</script>" },
    )
}

async fn named(
    State(t): State<Templates>,
    trellis_http::extract::Path(name): trellis_http::extract::Path<String>,
) -> Result<Html<String>, HttpError> {
    t.render(&name, context! { content => "<b>raw</b>" })
}

async fn detail() -> &'static str {
    "post"
}

fn client(debug: bool) -> TestClient {
    let blog = AppConfig::new("blog")
        .templates(dir("blog"))
        .routes(Router::new().route("/{id:int}/", get(detail).name("post-detail")));
    let app = App::new("site")
        .settings(move |s| {
            s.debug = debug;
            s.secret_key = Some("k".repeat(50));
        })
        .templates(dir("project"))
        .install(blog)
        .install(trellis_templates::app())
        .route("/", get(page))
        .route("/t/{name}", get(named));
    TestClient::new(app).allow_panics(false)
}

#[tokio::test]
async fn autoescapes_html_and_inherits() {
    let c = client(true);
    let r = c.get("/").await;
    assert_eq!(r.status(), 200);
    let body = r.text();
    assert!(body.contains("<title>T&lt;1&gt;</title>"), "{body}");
    assert!(body.contains("&lt;script&gt;alert(1)&lt;"), "{body}");
    assert!(!body.contains("<script>"), "{body}");
    assert!(body.contains(r#"href="/blog/7/""#), "{body}");
    assert!(body.contains(r#"href="/static/css/site.css""#), "{body}");
}

#[tokio::test]
async fn text_templates_are_not_escaped() {
    let r = client(true).get("/t/plain.txt").await;
    assert_eq!(r.text().trim(), "<b>raw</b>");
}

#[tokio::test]
async fn project_templates_override_app_templates() {
    let c = client(true);
    assert_eq!(
        c.get("/t/override.html").await.text().trim(),
        "project wins"
    );
    assert_eq!(
        c.get("/t/only-app.html").await.text().trim(),
        "from the app"
    );
}

#[tokio::test]
async fn errors_show_file_and_line_in_debug_only() {
    let r = client(true).get("/t/broken.html").await;
    assert_eq!(r.status(), 500);
    let body = r.text();
    assert!(
        body.contains("broken.html") && body.contains("line 2"),
        "{body}"
    );

    let r = client(false).get("/t/broken.html").await;
    assert_eq!(r.status(), 500);
    assert!(!r.text().contains("broken.html"), "{}", r.text());
}

#[tokio::test]
async fn url_helper_errors_name_the_route() {
    let r = client(true).get("/t/bad-url.html").await;
    assert_eq!(r.status(), 500);
    assert!(r.text().contains("blog:nope"), "{}", r.text());
}

#[tokio::test]
async fn missing_template_is_an_error_not_a_crash() {
    let r = client(true).get("/t/nope.html").await;
    assert_eq!(r.status(), 500);
    assert!(r.text().contains("nope.html"));
    let r = client(true).get("/t/..%2FCargo.toml").await;
    assert_eq!(r.status(), 500);
}
