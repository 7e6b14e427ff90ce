//! The URL dispatcher through a real app: typed parameters, includes and namespaces,
//! reverse() round trips, trailing slashes, 404/405 answers, start-up errors.

use trellis_http::extract::{Path, RawPathParams};
use trellis_http::routing::{Router, get, post};
use trellis_http::settings::{Settings, SettingsLoader, TrailingSlash};
use trellis_http::testing::TestClient;
use trellis_http::{App, AppConfig};

async fn echo_params(params: RawPathParams) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(";")
}

async fn typed(Path(id): Path<u64>) -> String {
    format!("id={id}")
}

fn blog() -> AppConfig {
    AppConfig::new("blog").routes(
        Router::new()
            .route("/", get(echo_params).name("index"))
            .route("/{id:int}/", get(typed).name("post-detail"))
            .route(
                "/{slug:slug}/edit/",
                get(echo_params).post(echo_params).name("edit"),
            )
            .include_namespaced(
                "/archive",
                "archive",
                Router::new().route("/{year:int}/{month:int}/", get(echo_params).name("month")),
            ),
    )
}

fn api() -> AppConfig {
    AppConfig::new("api").mount("/api").routes(
        Router::api()
            .route("/items/{id:uuid}", get(echo_params).name("item"))
            .route("/files/{rest:path}", get(echo_params).name("file"))
            .route("/things", post(echo_params).name("things")),
    )
}

fn app() -> App {
    App::new("site")
        .settings(|s| s.debug = true)
        .install(blog())
        .install(api())
        .route("/", get(echo_params).name("home"))
        .route("/about/", get(echo_params).name("about"))
        .route("/contact", get(echo_params).name("contact"))
}

#[tokio::test]
async fn reverse_round_trips_through_the_dispatcher() {
    let c = TestClient::new(app());
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, &'a str);
    let cases: Vec<Case> = vec![
        ("home", vec![], ""),
        ("about", vec![], ""),
        ("blog:index", vec![], ""),
        ("blog:post-detail", vec![("id", "42".into())], "id=42"),
        (
            "blog:edit",
            vec![("slug", "hello-world".into())],
            "slug=hello-world",
        ),
        (
            "blog:archive:month",
            vec![("year", "2026".into()), ("month", "11".into())],
            "year=2026;month=11",
        ),
        (
            "api:item",
            vec![("id", "67e55044-10b1-426f-9247-bb680e5fe0c8".into())],
            "id=67e55044-10b1-426f-9247-bb680e5fe0c8",
        ),
        (
            "api:file",
            vec![("rest", "css/site main.css".into())],
            "rest=css/site main.css",
        ),
    ];
    for (name, params, expected) in cases {
        let path = c.reverse(name, params.iter().map(|(k, v)| (*k, v.as_str())));
        let r = c.get(&path).await;
        assert_eq!(r.status(), 200, "{name} -> {path}");
        assert_eq!(r.text(), expected, "{name} -> {path}");
    }
    assert_eq!(c.reverse("blog:post-detail", [("id", 7)]), "/blog/7/");
    assert_eq!(
        c.reverse("api:file", [("rest", "a b/c")]),
        "/api/files/a%20b/c"
    );
}

#[tokio::test]
async fn reverse_errors_name_what_is_missing() {
    let c = TestClient::new(app());
    let urls = c.state().urls();
    let e = urls
        .reverse("blog:nope", [("", ""); 0])
        .unwrap_err()
        .to_string();
    assert!(e.contains("blog:nope"), "{e}");
    let e = urls
        .reverse("blog:archive:month", [("year", 2026)])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`month`") && e.contains("blog:archive:month"),
        "{e}"
    );
}

#[tokio::test]
async fn converters_refuse_values_with_404() {
    let c = TestClient::new(app());
    assert_eq!(c.get("/blog/abc/").await.status(), 404);
    assert_eq!(c.get("/blog/12/").await.text(), "id=12");
    assert_eq!(c.get("/blog/not%20a%20slug/edit/").await.status(), 404);
    assert_eq!(c.get("/api/items/not-a-uuid").await.status(), 404);
}

#[tokio::test]
async fn unknown_paths_are_404_json_for_apis_html_for_sites() {
    let c = TestClient::new(app());
    let r = c.get("/api/nope").await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<serde_json::Value>(),
        serde_json::json!({"detail": "Not Found"})
    );
    let r = c.get("/nope").await;
    assert_eq!(r.status(), 404);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("Not Found"));
    // Debug lists the patterns, escaped.
    assert!(r.text().contains("/blog/{id:int}/"), "{}", r.text());
    let r = c.get("/%3Cscript%3E").await;
    assert!(!r.text().contains("<script>"));
    // A client asking for JSON gets JSON on site routes too.
    let r = c.get("/nope").header("accept", "application/json").await;
    assert_eq!(
        r.json::<serde_json::Value>(),
        serde_json::json!({"detail": "Not Found"})
    );
}

#[tokio::test]
async fn not_found_page_hides_patterns_outside_debug() {
    let s = settings(|s| {
        s.debug = false;
        s.secret_key = Some("x".repeat(50));
    });
    let c = TestClient::with_settings(app(), s);
    let r = c.get("/nope").await;
    assert_eq!(r.status(), 404);
    assert!(!r.text().contains("{id:int}"));
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let c = TestClient::new(app());
    let r = c.delete("/api/things").await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.header("allow"), Some("POST"));
    assert_eq!(
        r.json::<serde_json::Value>(),
        serde_json::json!({"detail": "Method Not Allowed"})
    );
    let r = c.post("/about/").await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.header("allow"), Some("GET,HEAD"));
    assert!(r.text().contains("Method Not Allowed"));
}

#[tokio::test]
async fn append_slash_redirects_to_the_canonical_path() {
    let c = TestClient::new(app());
    let r = c.get("/about?x=1").await;
    assert_eq!(r.status(), 301);
    assert_eq!(r.header("location"), Some("/about/?x=1"));
    let r = c.post("/blog/hello/edit").await;
    assert_eq!(r.status(), 308, "non-GET keeps its method");
    assert_eq!(r.header("location"), Some("/blog/hello/edit/"));
    // No redirect when the slash form does not exist, nor to a refused converter.
    assert_eq!(c.get("/contact/").await.status(), 404);
    assert_eq!(c.get("/blog/abc").await.status(), 404);
    let r = c.get("/about").follow_redirects(true).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn strip_and_strict_policies() {
    let c = TestClient::with_settings(app(), settings(|s| s.trailing_slash = TrailingSlash::Strip));
    let r = c.get("/contact/").await;
    assert_eq!(
        (r.status().as_u16(), r.header("location")),
        (301, Some("/contact"))
    );
    let c = TestClient::with_settings(
        app(),
        settings(|s| s.trailing_slash = TrailingSlash::Strict),
    );
    assert_eq!(c.get("/about").await.status(), 404);
}

#[test]
fn duplicate_names_and_bad_patterns_are_startup_errors() {
    async fn h() {}
    let err = App::new("t")
        .route("/a", get(h).name("x"))
        .route("/b", get(h).name("x"))
        .build_with(settings(|_| {}))
        .unwrap_err();
    assert!(
        err.to_string().contains("`x`") && err.to_string().contains("/b"),
        "{err}"
    );
    let err = App::new("t")
        .route("/a/{id:float}", get(h))
        .build_with(settings(|_| {}))
        .unwrap_err();
    assert!(err.to_string().contains("float"), "{err}");
    let err = App::new("t")
        .route("/a/{id:int}", get(h))
        .route("/a/{slug:slug}", get(h))
        .build_with(settings(|_| {}))
        .unwrap_err();
    assert!(err.to_string().contains("/a/{slug:slug}"), "{err}");
}

#[tokio::test]
async fn routes_list_methods_and_names() {
    let c = TestClient::new(app());
    let rows: Vec<(String, String, Option<String>)> = c
        .state()
        .routes()
        .iter()
        .map(|r| {
            let m: Vec<&str> = r.methods().iter().map(|m| m.as_str()).collect();
            (
                m.join(","),
                r.pattern().to_string(),
                r.name().map(str::to_string),
            )
        })
        .collect();
    assert!(
        rows.contains(&(
            "GET,POST".into(),
            "/blog/{slug:slug}/edit/".into(),
            Some("blog:edit".into())
        )),
        "{rows:?}"
    );
    assert!(rows.contains(&("GET".into(), "/".into(), Some("home".into()))));
}

fn settings(f: impl Fn(&mut Settings) + Send + Sync + 'static) -> Settings {
    SettingsLoader::new()
        .no_file()
        .env_vars::<&str, &str>([])
        .defaults(|s| s.debug = true)
        .defaults(f)
        .load()
        .unwrap()
}
