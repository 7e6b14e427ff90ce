//! The docs UIs through the in-process test client: pages, assets, paths, off switches.

use trellis_http::App;
use trellis_http::routing::get;
use trellis_http::testing::{TestClient, TestResponse};
use trellis_openapi::ui::{DocsConfig, REDOC_VERSION, SWAGGER_UI_VERSION, docs_router};

const DOCUMENT: &str = r#"{
  "openapi": "3.1.0",
  "info": {"title": "Test API", "version": "1.0.0"},
  "paths": {
    "/items": {
      "get": {"operationId": "list_items", "responses": {"200": {"description": "The items"}}}
    }
  }
}"#;

async fn openapi() -> ([(&'static str, &'static str); 1], &'static str) {
    ([("content-type", "application/json")], DOCUMENT)
}

fn app_with(config: &DocsConfig) -> App {
    App::new("t")
        .settings(|s| s.debug = true)
        .route("/openapi.json", get(openapi).name("openapi"))
        .include("", docs_router(config))
}

fn client(config: &DocsConfig) -> TestClient {
    TestClient::new(app_with(config))
}

/// Every `src`/`href` value of a page.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').expect("attribute closed");
            out.push(rest[..end].replace("&amp;", "&"));
            rest = &rest[end..];
        }
    }
    out
}

/// Resolve a relative link (`./x`) against the page path, as a browser does.
fn resolve(page: &str, link: &str) -> String {
    let dir = &page[..=page.rfind('/').unwrap()];
    let link = link.strip_prefix("./").unwrap_or(link);
    format!("{dir}{link}")
}

fn assert_html_page(resp: &TestResponse) {
    assert_eq!(resp.status(), 200, "{}", resp.text());
    let ct = resp.header("content-type").unwrap();
    assert!(ct.starts_with("text/html"), "content-type {ct}");
    let html = resp.text();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "the page names another host:\n{html}"
    );
    for link in links(&html) {
        assert!(
            link.starts_with("./") || link == "data:,",
            "not a same-origin relative link: {link}"
        );
    }
}

/// Fetch every script and stylesheet of the page at `page`; return (path, content-type),
/// sorted by path.
async fn fetch_assets(client: &TestClient, page: &str) -> Vec<(String, String)> {
    let html = client.get(page).await.text();
    let mut out = Vec::new();
    for link in links(&html).into_iter().filter(|l| l.starts_with("./")) {
        let url = resolve(page, &link);
        let resp = client.get(&url).await;
        assert_eq!(resp.status(), 200, "{url}");
        assert_eq!(
            resp.header("cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{url}"
        );
        assert!(resp.bytes().len() > 100, "{url} is nearly empty");
        let path = url.split('?').next().unwrap().to_string();
        out.push((path, resp.header("content-type").unwrap().to_string()));
    }
    out.sort();
    out
}

#[tokio::test]
async fn swagger_ui_page_loads_its_assets_from_the_app() {
    let client = client(&DocsConfig::default());
    let resp = client.get("/docs").await;
    assert_html_page(&resp);
    assert_eq!(resp.header("cache-control"), Some("no-cache"));
    assert_eq!(
        resp.header("cross-origin-opener-policy"),
        Some("same-origin-allow-popups")
    );
    let html = resp.text();
    assert!(html.contains("<title>API</title>"));
    assert!(html.contains(r#""url":"/openapi.json""#), "{html}");
    assert!(
        html.contains(r#""oauth2RedirectUrl":"./docs/oauth2-redirect""#),
        "{html}"
    );

    let assets = fetch_assets(&client, "/docs").await;
    let expect = [
        (
            "/docs/assets/swagger-ui-bundle.js",
            "text/javascript; charset=utf-8",
        ),
        ("/docs/assets/swagger-ui.css", "text/css; charset=utf-8"),
        (
            "/docs/assets/trellis-swagger-init.js",
            "text/javascript; charset=utf-8",
        ),
    ];
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(p, c)| (p.to_string(), c.to_string()))
        .collect();
    assert_eq!(assets, expect);

    // The bundle is the vendored Swagger UI.
    let bundle = client.get("/docs/assets/swagger-ui-bundle.js").await;
    assert!(
        bundle
            .text()
            .contains(&format!("PACKAGE_VERSION:\"{SWAGGER_UI_VERSION}\""))
    );
    assert_eq!(
        client.reverse("swagger-ui", std::iter::empty::<(&str, &str)>()),
        "/docs",
        "named route"
    );
}

#[tokio::test]
async fn oauth2_redirect_page_runs_swagger_uis_script() {
    let client = client(&DocsConfig::default());
    let resp = client.get("/docs/oauth2-redirect").await;
    assert_html_page(&resp);
    assert_eq!(
        resp.header("cross-origin-opener-policy"),
        Some("unsafe-none")
    );
    assert_eq!(resp.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    let assets = fetch_assets(&client, "/docs/oauth2-redirect").await;
    assert_eq!(
        assets,
        [(
            "/docs/assets/oauth2-redirect.js".to_string(),
            "text/javascript; charset=utf-8".to_string()
        )]
    );
    let js = client.get("/docs/assets/oauth2-redirect.js").await.text();
    assert!(js.contains("swaggerUIRedirectOauth2"));
}

#[tokio::test]
async fn redoc_page_loads_its_assets_from_the_app() {
    let client = client(&DocsConfig::default());
    let resp = client.get("/redoc").await;
    assert_html_page(&resp);
    let html = resp.text();
    assert!(html.contains(r#""url":"/openapi.json""#), "{html}");
    let assets = fetch_assets(&client, "/redoc").await;
    assert_eq!(
        assets,
        [
            (
                "/redoc/assets/redoc.standalone.js".to_string(),
                "text/javascript; charset=utf-8".to_string()
            ),
            (
                "/redoc/assets/trellis-redoc-init.js".to_string(),
                "text/javascript; charset=utf-8".to_string()
            ),
        ]
    );
    let bundle = client.get("/redoc/assets/redoc.standalone.js").await;
    assert!(bundle.text().contains(REDOC_VERSION));
    // The ReDoc theme uses system fonts, not web fonts.
    let init = client
        .get("/redoc/assets/trellis-redoc-init.js")
        .await
        .text();
    assert!(init.contains("system-ui"));
}

#[tokio::test]
async fn the_document_route_is_the_apps() {
    let client = client(&DocsConfig::default());
    let resp = client.get("/openapi.json").await;
    assert_eq!(resp.status(), 200);
    let doc: serde_json::Value = serde_json::from_slice(resp.bytes()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
}

#[tokio::test]
async fn unknown_assets_are_404() {
    let client = client(&DocsConfig::default());
    for path in [
        "/docs/assets/nope.js",
        "/docs/assets/redoc.standalone.js",
        "/redoc/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui-bundle.js.map",
        "/redoc/assets/redoc.standalone.js.map",
        "/docs/assets/..%2FCargo.toml",
        "/docs/assets/",
        "/docs/assets/a/b.js",
    ] {
        assert_eq!(client.get(path).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn paths_are_configurable() {
    let config = DocsConfig {
        openapi_url: "/api/v2/schema.json".into(),
        swagger_path: Some("/api/v2/swagger".into()),
        redoc_path: Some("/reference/".into()),
        title: "Shop".into(),
    };
    let client = client(&config);
    for old in ["/docs", "/redoc", "/docs/assets/swagger-ui.css"] {
        assert_eq!(client.get(old).await.status(), 404, "{old}");
    }
    let swagger = client.get("/api/v2/swagger").await;
    assert_html_page(&swagger);
    assert!(swagger.text().contains(r#""url":"/api/v2/schema.json""#));
    assert!(
        swagger
            .text()
            .contains(r#""oauth2RedirectUrl":"./swagger/oauth2-redirect""#)
    );
    assert_eq!(fetch_assets(&client, "/api/v2/swagger").await.len(), 3);
    assert_html_page(&client.get("/api/v2/swagger/oauth2-redirect").await);

    let redoc = client.get("/reference/").await;
    assert_html_page(&redoc);
    assert!(redoc.text().contains(r#""url":"/api/v2/schema.json""#));
    let assets = fetch_assets(&client, "/reference/").await;
    assert_eq!(assets[0].0, "/reference/assets/redoc.standalone.js");
    assert!(redoc.text().contains("<title>Shop</title>"));
}

#[tokio::test]
async fn the_router_works_under_a_prefix() {
    // Relative URLs: the pages still find their assets when included under a prefix.
    let app = App::new("t")
        .settings(|s| s.debug = true)
        .include("/internal", docs_router(&DocsConfig::default()));
    let client = TestClient::new(app);
    assert_html_page(&client.get("/internal/docs").await);
    assert_eq!(fetch_assets(&client, "/internal/docs").await.len(), 3);
    assert_eq!(fetch_assets(&client, "/internal/redoc").await.len(), 2);
    assert_eq!(
        fetch_assets(&client, "/internal/docs/oauth2-redirect")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn none_disables_a_ui() {
    let only_redoc = client(&DocsConfig {
        swagger_path: None,
        ..DocsConfig::default()
    });
    assert_eq!(only_redoc.get("/redoc").await.status(), 200);
    for path in [
        "/docs",
        "/docs/oauth2-redirect",
        "/docs/assets/swagger-ui.css",
    ] {
        assert_eq!(only_redoc.get(path).await.status(), 404, "{path}");
    }

    let only_swagger = client(&DocsConfig {
        redoc_path: None,
        ..DocsConfig::default()
    });
    assert_eq!(only_swagger.get("/docs").await.status(), 200);
    for path in ["/redoc", "/redoc/assets/redoc.standalone.js"] {
        assert_eq!(only_swagger.get(path).await.status(), 404, "{path}");
    }

    let neither = client(&DocsConfig {
        swagger_path: None,
        redoc_path: None,
        ..DocsConfig::default()
    });
    assert_eq!(neither.get("/docs").await.status(), 404);
    assert_eq!(neither.get("/redoc").await.status(), 404);
    assert_eq!(neither.get("/openapi.json").await.status(), 200);
}

#[tokio::test]
async fn the_title_and_urls_are_escaped() {
    let config = DocsConfig {
        openapi_url: "/openapi.json?a=1&b=</script>".into(),
        title: "<script>alert(\"x\")</script> & Co".into(),
        ..DocsConfig::default()
    };
    let client = client(&config);
    for page in ["/docs", "/redoc", "/docs/oauth2-redirect"] {
        let html = client.get(page).await.text();
        assert!(!html.contains("<script>alert"), "{page}: {html}");
        assert!(
            html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co"),
            "{page}: {html}"
        );
        // One closing tag per script element: the URL cannot close the JSON block.
        assert_eq!(
            html.matches("</script>").count(),
            html.matches("<script").count(),
            "{page}: {html}"
        );
    }
    let html = client.get("/docs").await.text();
    assert!(
        html.contains(r#""url":"/openapi.json?a=1\u0026b=\u003c/script\u003e""#),
        "{html}"
    );
}

#[tokio::test]
async fn head_requests_and_other_methods() {
    let client = client(&DocsConfig::default());
    let head = client
        .request(http::Method::HEAD, "/docs/assets/swagger-ui-bundle.js")
        .await;
    assert_eq!(head.status(), 200);
    assert!(head.bytes().is_empty());
    assert_eq!(client.post("/docs").await.status(), 405);
}
