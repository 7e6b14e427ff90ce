//! Acceptance tests of the demo site through the in-process [`TestClient`] (no socket):
//! pages, the JSON API, error answers, redirects, dependencies and their teardowns,
//! blocking handlers, panics, body limits, gzip and streaming.

use serde_json::{Value, json};
use trellis::prelude::*;
use trellis::testing::{TestClient, TestResponse};

/// A test client on a fresh, migrated and seeded SQLite database of its own.
async fn client() -> TestClient {
    TestClient::new(app_on_fresh_db().await)
}

async fn app_on_fresh_db() -> trellis::App {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "demo-in-process-{}-{n}.sqlite3",
        std::process::id()
    ));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
    let url = format!("sqlite://{}", file.display());
    let db = trellis::orm::Db::connect(&url).await.expect("database");
    demo::prepare(&db).await.expect("migrate and seed");
    db.close().await;
    demo::app().settings(move |s| s.database_url = Some(url.clone()))
}

fn assert_header(resp: &TestResponse, name: &str, expected: &str) {
    assert_eq!(
        resp.header(name),
        Some(expected),
        "header `{name}` of the response: {:?}",
        resp.headers()
    );
}

fn assert_content_type(resp: &TestResponse, expected_prefix: &str) {
    let ct = resp.header("content-type").unwrap_or_default();
    assert!(
        ct.starts_with(expected_prefix),
        "content-type `{ct}`, expected `{expected_prefix}...`"
    );
}

#[tokio::test]
async fn home_page_is_html_with_security_headers_and_reversed_links() {
    let client = client().await;
    let resp = client.get("/").await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    assert_content_type(&resp, "text/html");
    assert_header(&resp, "x-content-type-options", "nosniff");
    assert_header(&resp, "referrer-policy", "same-origin");
    assert_header(&resp, "cross-origin-opener-policy", "same-origin");
    assert_header(&resp, "x-frame-options", "DENY");
    let body = resp.text();
    assert_eq!(client.reverse("blog:post-detail", [("id", 1)]), "/blog/1/");
    assert!(
        body.contains(r#"href="/blog/24/""#),
        "no link to the newest post, /blog/24/, in the home page:\n{body}"
    );
    assert!(
        body.contains(r#"href="/api/hello?name=Ada""#),
        "no link to the API in the home page:\n{body}"
    );
}

#[tokio::test]
async fn hello_answers_exact_json() {
    let resp = client().await.get("/api/hello?name=Ada").await;
    assert_eq!(resp.status(), 200);
    assert_content_type(&resp, "application/json");
    assert_eq!(resp.text(), r#"{"message":"Hello, Ada!"}"#);
}

#[tokio::test]
async fn echo_answers_its_json_back() {
    let body = json!({ "name": "Ada", "tags": ["math", "engines"], "n": 1815, "nested": { "ok": true, "none": null } });
    let resp = client().await.post("/api/echo").json(&body).await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    assert_content_type(&resp, "application/json");
    assert_eq!(resp.json::<Value>(), body);
}

#[tokio::test]
async fn unknown_api_path_is_json_404() {
    let resp = client().await.get("/api/nope").await;
    assert_eq!(resp.status(), 404);
    assert_content_type(&resp, "application/json");
    assert_eq!(resp.json::<Value>(), json!({ "detail": "Not Found" }));
}

#[tokio::test]
async fn unknown_site_path_is_html_404() {
    let resp = client().await.get("/no-such-page").await;
    assert_eq!(resp.status(), 404);
    assert_content_type(&resp, "text/html");
    assert!(resp.text().contains("Not Found"), "{}", resp.text());
}

#[tokio::test]
async fn wrong_method_is_405_with_allow() {
    let client = client().await;

    let resp = client.post("/api/hello").await;
    assert_eq!(resp.status(), 405);
    let allow = resp
        .header("allow")
        .unwrap_or_else(|| panic!("no Allow header: {:?}", resp.headers()));
    assert!(allow.contains("GET"), "Allow: {allow}");
    assert_content_type(&resp, "application/json");
    assert_eq!(
        resp.json::<Value>(),
        json!({ "detail": "Method Not Allowed" })
    );

    let resp = client.get("/api/echo").await;
    assert_eq!(resp.status(), 405);
    let allow = resp
        .header("allow")
        .unwrap_or_else(|| panic!("no Allow header: {:?}", resp.headers()));
    assert!(allow.contains("POST"), "Allow: {allow}");
    assert_content_type(&resp, "application/json");

    let resp = client.delete("/").await;
    assert_eq!(resp.status(), 405);
    assert!(
        resp.header("allow").is_some_and(|a| a.contains("GET")),
        "{:?}",
        resp.headers()
    );
    assert_content_type(&resp, "text/html");
}

#[tokio::test]
async fn missing_trailing_slash_redirects_permanently() {
    let client = client().await;
    let resp = client.get("/blog").await;
    assert_eq!(resp.status(), 301);
    assert_header(&resp, "location", "/blog/");

    let resp = client.get("/blog").follow_redirects(true).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.text().contains(r#"href="/blog/2/""#),
        "{}",
        resp.text()
    );
}

#[tokio::test]
async fn whoami_shares_one_session_and_commits_it() {
    let client = client().await;
    let resp = client
        .get("/api/whoami")
        .header("user-agent", "acceptance-test/1")
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let body: Value = resp.json();
    assert_eq!(body["same_session"], json!(true), "{body}");
    assert_eq!(body["user"], json!("Ada"), "{body}");
    assert_eq!(body["client"], json!("acceptance-test/1"), "{body}");
    let session = body["session"]
        .as_u64()
        .unwrap_or_else(|| panic!("no session number in {body}"));

    let log = client
        .state()
        .get::<demo::api::TxLog>()
        .expect("the api app registers a TxLog")
        .clone();
    let entries = log.entries();
    assert!(
        entries.contains(&format!("commit {session}")),
        "TxLog: {entries:?}"
    );
    assert!(
        !entries.iter().any(|e| e.starts_with("rollback")),
        "TxLog: {entries:?}"
    );
}

/// No demo route fails after opening a session, so the failure comes from a public
/// framework hook: the `ApiClient` dependency is overridden to refuse the caller. The
/// `DbSession` is opened first (by `CurrentUser`), so its teardown must roll it back.
#[tokio::test]
async fn failing_request_rolls_the_session_back() {
    let app = demo::app().override_dependency_with::<demo::api::ApiClient, _, _>(|| async {
        Err(HttpError::forbidden("client refused by the test"))
    });
    let client = TestClient::new(app);
    let resp = client.get("/api/whoami").await;
    assert_eq!(resp.status(), 403, "{}", resp.text());
    assert_eq!(
        resp.json::<Value>(),
        json!({ "detail": "client refused by the test" })
    );

    let entries = client
        .state()
        .get::<demo::api::TxLog>()
        .expect("TxLog")
        .entries();
    assert_eq!(entries.len(), 1, "TxLog: {entries:?}");
    assert!(entries[0].starts_with("rollback "), "TxLog: {entries:?}");
}

#[tokio::test]
async fn fib_runs_on_the_blocking_pool() {
    let client = client().await;
    let resp = client.get("/api/fib/20").await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let body: Value = resp.json();
    assert_eq!(body["n"], json!(20));
    assert_eq!(body["fib"], json!(6765));

    let resp = client.get("/api/fib/43").await;
    assert_eq!(resp.status(), 400, "{}", resp.text());
    let resp = client.get("/api/fib/abc").await;
    assert_eq!(resp.status(), 404, "{}", resp.text());
}

#[tokio::test]
async fn panic_is_500_and_the_app_keeps_serving() {
    let client = client().await.allow_panics(true);
    let resp = client.get("/api/panic").await;
    assert_eq!(resp.status(), 500);
    assert_content_type(&resp, "application/json");
    assert!(
        resp.json::<Value>()["detail"].is_string(),
        "{}",
        resp.text()
    );

    let resp = client.get("/api/hello?name=again").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text(), r#"{"message":"Hello, again!"}"#);
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let big = format!(r#"{{"data":"{}"}}"#, "x".repeat(3 * 1024 * 1024));
    let resp = client()
        .await
        .post("/api/echo")
        .header("content-type", "application/json")
        .body(big)
        .await;
    assert_eq!(resp.status(), 413, "{}", resp.text());
}

#[tokio::test]
async fn large_json_is_gzipped_when_accepted() {
    let client = client().await;
    let resp = client
        .get("/api/items")
        .header("accept-encoding", "gzip")
        .await;
    assert_eq!(resp.status(), 200);
    assert_header(&resp, "content-encoding", "gzip");
    let vary = resp.header("vary").unwrap_or_default().to_ascii_lowercase();
    assert!(vary.contains("accept-encoding"), "vary: {vary:?}");
    assert_eq!(&resp.bytes()[..2], &[0x1f, 0x8b], "not a gzip stream");

    let plain = client.get("/api/items").await;
    assert_eq!(plain.status(), 200);
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(
        plain.json::<Value>()["items"].as_array().map(Vec::len),
        Some(200)
    );
}

#[tokio::test]
async fn missing_item_is_404_naming_it() {
    let client = client().await;
    let resp = client.get("/api/items/999").await;
    assert_eq!(resp.status(), 404);
    assert_content_type(&resp, "application/json");
    let detail = resp.json::<Value>()["detail"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(detail.contains("999"), "detail: {detail:?}");

    let resp = client.get("/api/items/7").await;
    assert_eq!(resp.status(), 200);
    let item = resp.json::<Value>();
    assert_eq!(
        (item["id"].clone(), item["name"].clone()),
        (json!(7), json!("Item 7"))
    );
}

#[tokio::test]
async fn stream_returns_five_lines() {
    let resp = client().await.get("/api/stream").await;
    assert_eq!(resp.status(), 200);
    assert_content_type(&resp, "text/plain");
    let text = resp.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines, ["line 1", "line 2", "line 3", "line 4", "line 5"]);
}

#[tokio::test]
async fn items_crud_with_validation_and_a_bearer_token() {
    let client = client().await;
    let new = json!({"name": "Pen", "price": 2.5, "quantity": 10, "tags": ["office"]});
    let denied = client.post("/api/items").json(&new).await;
    assert_eq!(denied.status(), 401);
    assert_header(&denied, "www-authenticate", "Bearer");

    let auth = "Bearer demo-token";
    let created = client
        .post("/api/items")
        .header("authorization", auth)
        .json(&new)
        .await;
    assert_eq!(created.status(), 201, "{}", created.text());
    let id = created.json::<Value>()["id"].as_u64().unwrap();
    assert_eq!(
        client
            .get(&format!("/api/items/{id}"))
            .await
            .json::<Value>()["name"],
        "Pen"
    );

    let bad = client
        .post("/api/items?x=1")
        .header("authorization", auth)
        .json(&json!({"name": "", "price": -1, "quantity": 20000}))
        .await;
    assert_eq!(bad.status(), 422);
    let kinds: Vec<String> = bad.json::<Value>()["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        ["string_too_short", "greater_than_equal", "less_than_equal"]
    );

    let page = client
        .get("/api/items?tag=office&limit=5")
        .await
        .json::<Value>();
    assert_eq!(page["total"], 1);
    let bad_query = client.get("/api/items?limit=0").await;
    assert_eq!(bad_query.status(), 422);
    assert_eq!(
        bad_query.json::<Value>()["detail"][0]["loc"],
        json!(["query", "limit"])
    );

    let deleted = client
        .delete(&format!("/api/items/{id}"))
        .header("authorization", auth)
        .await;
    assert_eq!(deleted.status(), 204);
    assert!(deleted.bytes().is_empty());
    assert_eq!(client.get(&format!("/api/items/{id}")).await.status(), 404);
}

/// `/blog/` and `/api/posts` run the same number of queries with 24 or 64 posts: authors
/// come in the JOIN, tags in one prefetch query.
#[tokio::test]
async fn blog_pages_run_a_constant_number_of_queries() {
    use trellis::orm::prelude::*;
    let app = app_on_fresh_db().await;
    let url = app.load_settings().unwrap().database_url.clone().unwrap();
    let client = TestClient::new(app);
    let count = |path: &'static str| {
        let client = &client;
        async move {
            let (resp, queries) =
                trellis::orm::observe::capture_queries(async { client.get(path).await }).await;
            assert_eq!(resp.status(), StatusCode::OK, "{path}: {}", resp.text());
            (resp.text(), queries.len())
        }
    };
    let (html, before_html) = count("/blog/").await;
    assert!(
        html.contains("Ada Lovelace"),
        "author names on the page:\n{html}"
    );
    let (json, before_api) = count("/api/posts").await;
    let posts: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(posts.as_array().unwrap().len(), 24);
    assert!(
        before_html <= 2 && before_api <= 2,
        "{before_html} / {before_api} queries"
    );

    let db = trellis::orm::Db::connect(&url).await.unwrap();
    let author = demo::blog::models::Author::objects()
        .first(&db)
        .await
        .unwrap()
        .unwrap();
    for i in 0..40 {
        let mut p = demo::blog::models::Post::new(
            &format!("More {i}"),
            &format!("more-{i}"),
            "text",
            &author,
        );
        p.status = demo::blog::models::Status::Published;
        p.save(&db).await.unwrap();
    }
    db.close().await;
    let (_, after_html) = count("/blog/").await;
    let (json, after_api) = count("/api/posts").await;
    let posts: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(posts.as_array().unwrap().len(), 64);
    assert_eq!((after_html, after_api), (before_html, before_api));
}

/// `PATCH /api/items/{id}` changes only the fields sent (`Maybe` tells unset from null).
#[tokio::test]
async fn patch_changes_only_the_fields_sent() {
    let client = client().await;
    let auth = "Bearer demo-token";
    let before = client.get("/api/items/2").await.json::<Value>();
    assert_eq!(before["tags"], json!(["even"]));
    let resp = client
        .request(Method::PATCH, "/api/items/2")
        .header("authorization", auth)
        .json(&json!({"name": "Renamed", "tags": null}))
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let after = resp.json::<Value>();
    assert_eq!(after["name"], "Renamed");
    assert_eq!(
        after["price"], before["price"],
        "unset fields keep their value"
    );
    assert_eq!(after["quantity"], before["quantity"]);
    assert_eq!(after["tags"], json!([]), "null cleared the tags");
    assert_eq!(client.get("/api/items/2").await.json::<Value>(), after);

    let null_name = client
        .request(Method::PATCH, "/api/items/2")
        .header("authorization", auth)
        .json(&json!({"name": null}))
        .await;
    assert_eq!(null_name.status(), 400);
    assert_eq!(null_name.json::<Value>()["detail"], "name cannot be null");

    let invalid = client
        .request(Method::PATCH, "/api/items/2")
        .header("authorization", auth)
        .json(&json!({"price": -5, "colour": "red"}))
        .await;
    assert_eq!(invalid.status(), 422, "{}", invalid.text());
}
