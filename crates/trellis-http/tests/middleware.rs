//! Middleware: order, early answers, tower layers, and the default stack (security headers,
//! allowed hosts, body limit, timeout, gzip, request id, panics).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use trellis_http::App;
use trellis_http::extract::{Json, Request};
use trellis_http::middleware::{Next, from_fn, from_fn_with_state};
use trellis_http::response::{IntoResponse, Response};
use trellis_http::routing::{get, post};
use trellis_http::settings::{Settings, SettingsLoader};
use trellis_http::testing::TestClient;

type Log = Arc<Mutex<Vec<String>>>;

async fn tag(state: (Log, &'static str), req: Request, next: Next) -> Response {
    let (log, name) = state;
    log.lock().unwrap().push(format!("{name} before"));
    let resp = next.run(req).await;
    log.lock().unwrap().push(format!("{name} after"));
    resp
}

fn tagged(
    log: &Log,
    name: &'static str,
) -> impl Clone
+ Send
+ Sync
+ 'static
+ tower::Layer<
    trellis_http::app::HttpService,
    Service: tower::Service<
        Request,
        Response = Response,
        Error = std::convert::Infallible,
        Future: Send + 'static,
    > + Clone
                 + Send
                 + Sync
                 + 'static,
> {
    let state = (log.clone(), name);
    from_fn_with_state(
        state,
        |axum::extract::State(s): axum::extract::State<(Log, &'static str)>,
         req: Request,
         next: Next| tag(s, req, next),
    )
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

fn production() -> Settings {
    settings(|s| {
        s.debug = false;
        s.secret_key = Some("k8#Jd93!mQz0Lw7@xP2vR5tY1uN6bC4eF8gH0iJ3kM9oS2aD7q".into());
        s.allowed_hosts = vec!["example.com".into(), ".example.org".into()];
    })
}

#[tokio::test]
async fn function_middleware_runs_in_order_added_first_outermost() {
    let log: Log = Arc::default();
    let l2 = log.clone();
    let app = App::new("t")
        .settings(|s| s.debug = true)
        .middleware(tagged(&log, "a"))
        .middleware(tagged(&log, "b"))
        .route(
            "/",
            get(move || {
                let l = l2.clone();
                async move {
                    l.lock().unwrap().push("handler".into());
                    "ok"
                }
            }),
        );
    let c = TestClient::new(app);
    assert_eq!(c.get("/").await.text(), "ok");
    assert_eq!(
        *log.lock().unwrap(),
        ["a before", "b before", "handler", "b after", "a after"]
    );
}

#[tokio::test]
async fn middleware_can_answer_early() {
    async fn gate(req: Request, next: Next) -> Response {
        if req.headers().contains_key("x-blocked") {
            return (http::StatusCode::FORBIDDEN, "blocked").into_response();
        }
        next.run(req).await
    }
    let app = App::new("t")
        .settings(|s| s.debug = true)
        .middleware(from_fn(gate))
        .route("/", get(|| async { "ok" }));
    let c = TestClient::new(app);
    assert_eq!(c.get("/").header("x-blocked", "1").await.status(), 403);
    assert_eq!(c.get("/").await.status(), 200);
}

#[tokio::test]
async fn any_tower_layer_works() {
    use tower_http::set_header::SetResponseHeaderLayer;
    let app = App::new("t")
        .settings(|s| s.debug = true)
        .layer(SetResponseHeaderLayer::overriding(
            http::HeaderName::from_static("x-powered-by"),
            http::HeaderValue::from_static("trellis"),
        ))
        .route("/", get(|| async { "ok" }));
    let c = TestClient::new(app);
    assert_eq!(c.get("/").await.header("x-powered-by"), Some("trellis"));
}

#[tokio::test]
async fn security_headers_are_on_by_default() {
    let c = TestClient::new(
        App::new("t")
            .settings(|s| s.debug = true)
            .route("/", get(|| async { "ok" })),
    );
    let r = c.get("/").await;
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("same-origin"));
    assert_eq!(r.header("cross-origin-opener-policy"), Some("same-origin"));
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("strict-transport-security"), None);
    assert!(r.header("x-request-id").is_some_and(|v| v.len() == 36));
    let r = c.get("/nope").await;
    assert_eq!(
        r.header("x-frame-options"),
        Some("DENY"),
        "error pages carry them too"
    );
    let r = c.get("/").header("x-request-id", "abc-123").await;
    assert_eq!(r.header("x-request-id"), Some("abc-123"));
}

#[tokio::test]
async fn hsts_and_https_redirect_when_configured() {
    let s = settings(|s| {
        s.secure_hsts_seconds = 3600;
        s.secure_hsts_include_subdomains = true;
        s.secure_ssl_redirect = true;
        s.secure_proxy_ssl_header = Some("x-forwarded-proto".into());
    });
    let c = TestClient::with_settings(App::new("t").route("/p", get(|| async { "ok" })), s);
    let r = c.get("/p?q=1").header("host", "example.com").await;
    assert_eq!(r.status(), 301);
    assert_eq!(r.header("location"), Some("https://example.com/p?q=1"));
    let r = c.get("/p").header("x-forwarded-proto", "https").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.header("strict-transport-security"),
        Some("max-age=3600; includeSubDomains")
    );
}

#[tokio::test]
async fn allowed_hosts_outside_debug() {
    let c = TestClient::with_settings(
        App::new("t").route("/", get(|| async { "ok" })),
        production(),
    );
    assert_eq!(c.get("/").header("host", "evil.test").await.status(), 400);
    assert_eq!(c.get("/").header("host", "example.com").await.status(), 200);
    assert_eq!(
        c.get("/").header("host", "example.com:8000").await.status(),
        200
    );
    assert_eq!(
        c.get("/").header("host", "www.example.org").await.status(),
        200
    );
    assert_eq!(
        c.get("/")
            .header("host", "example.com.evil.test")
            .await
            .status(),
        400
    );
    // Not checked in debug.
    let c = TestClient::new(
        App::new("t")
            .settings(|s| s.debug = true)
            .route("/", get(|| async { "ok" })),
    );
    assert_eq!(c.get("/").header("host", "evil.test").await.status(), 200);
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    async fn echo(Json(v): Json<serde_json::Value>) -> Json<serde_json::Value> {
        Json(v)
    }
    let app = || {
        App::new("t")
            .settings(|s| s.debug = true)
            .route("/echo", post(echo))
    };
    let c = TestClient::new(app());
    let big = format!("\"{}\"", "a".repeat(3 * 1024 * 1024));
    let r = c
        .post("/echo")
        .header("content-type", "application/json")
        .body(big.clone())
        .await;
    assert_eq!(r.status(), 413, "{}", r.text());
    let ok = format!("\"{}\"", "a".repeat(2 * 1024 * 1024));
    let r = c
        .post("/echo")
        .header("content-type", "application/json")
        .body(ok)
        .await;
    assert_eq!(r.status(), 200, "2 MiB is under the 2.5 MiB default");
    let c = TestClient::with_settings(app(), settings(|s| s.body_limit = 10));
    let r = c
        .post("/echo")
        .header("content-type", "application/json")
        .body("\"0123456789abc\"")
        .await;
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn slow_requests_time_out_with_408() {
    let app = App::new("t").route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    );
    let c = TestClient::with_settings(app, settings(|s| s.request_timeout_secs = 1));
    assert_eq!(c.get("/slow").await.status(), 408);
}

#[tokio::test]
async fn gzip_for_large_bodies_only() {
    let app = App::new("t")
        .settings(|s| s.debug = true)
        .route("/big", get(|| async { "x".repeat(5000) }))
        .route("/small", get(|| async { "x".repeat(100) }));
    let c = TestClient::new(app);
    let r = c.get("/big").header("accept-encoding", "gzip").await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert!(
        r.headers()
            .get_all("vary")
            .iter()
            .any(|v| v.to_str().unwrap().contains("accept-encoding"))
    );
    assert!(r.bytes().len() < 5000);
    let r = c.get("/small").header("accept-encoding", "gzip").await;
    assert_eq!(r.header("content-encoding"), None);
    let r = c.get("/big").await;
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(
        r.header("vary"),
        Some("accept-encoding"),
        "caches must know the body varies"
    );
}

async fn boom_secret() -> &'static str {
    panic!("secret internals")
}

async fn kaboom() -> &'static str {
    panic!("kaboom")
}

#[tokio::test]
async fn panics_become_500_and_the_app_keeps_serving() {
    let app = App::new("t")
        .route("/boom", get(boom_secret))
        .route("/ok", get(|| async { "ok" }));
    let c = TestClient::with_settings(app, production()).allow_panics(true);
    let r = c.get("/boom").header("host", "example.com").await;
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.json::<serde_json::Value>(),
        serde_json::json!({"detail": "Internal Server Error"})
    );
    assert_eq!(
        c.get("/ok").header("host", "example.com").await.status(),
        200
    );
    // Debug shows the message.
    let app = App::new("t")
        .settings(|s| s.debug = true)
        .route("/boom", get(boom_secret));
    let r = TestClient::new(app).allow_panics(true).get("/boom").await;
    assert!(r.text().contains("secret internals"));
}

#[tokio::test]
#[should_panic(expected = "handler panicked during GET /boom: kaboom")]
async fn test_client_reraises_panics() {
    let app = App::new("t")
        .settings(|s| s.debug = true)
        .route("/boom", get(kaboom));
    let _ = TestClient::new(app).get("/boom").await;
}

#[tokio::test]
async fn default_stack_can_be_switched_off() {
    let app = App::new("t").route("/", get(|| async { "ok" }));
    let c = TestClient::with_settings(app, settings(|s| s.default_middleware = false));
    let r = c.get("/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("x-frame-options"), None);
}

#[tokio::test]
async fn handlers_read_the_request_id() {
    use trellis_http::middleware::RequestId;
    async fn id(id: RequestId) -> String {
        id.as_str().to_string()
    }
    let c = TestClient::new(
        App::new("t")
            .settings(|s| s.debug = true)
            .route("/id", get(id)),
    );
    let r = c.get("/id").header("x-request-id", "abc-123").await;
    assert_eq!(r.text(), "abc-123");
    let r = c.get("/id").await;
    assert_eq!(
        Some(r.text().as_str()),
        r.header("x-request-id"),
        "the id made up is the one echoed"
    );
}

#[tokio::test]
async fn server_header_on_every_answer_with_and_without_the_stack() {
    let app = || {
        App::new("t").route("/", get(|| async { "ok" })).route(
            "/own",
            get(|| async { ([("server", "handler")], "ok").into_response() }),
        )
    };
    // Unset (the default): no header, as Django.
    let c = TestClient::with_settings(app(), production());
    let r = c.get("/").header("host", "example.com").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("server"), None);
    for stack in [true, false] {
        let c = TestClient::with_settings(
            app(),
            settings(move |s| {
                s.debug = false;
                s.secret_key = Some("k8#Jd93!mQz0Lw7@xP2vR5tY1uN6bC4eF8gH0iJ3kM9oS2aD7q".into());
                s.allowed_hosts = vec!["example.com".into()];
                s.default_middleware = stack;
                s.server_header = Some("trellis".into());
            }),
        );
        let r = c.get("/").header("host", "example.com").await;
        assert_eq!(r.header("server"), Some("trellis"), "stack {stack}");
        // The dispatcher's 404, and a handler's own value wins.
        let r = c.get("/missing").header("host", "example.com").await;
        assert_eq!(r.status(), 404);
        assert_eq!(r.header("server"), Some("trellis"), "stack {stack}");
        let r = c.get("/own").header("host", "example.com").await;
        assert_eq!(r.header("server"), Some("handler"), "stack {stack}");
        if stack {
            // An answer of the stack itself (allowed hosts) carries it too.
            let r = c.get("/").header("host", "evil.test").await;
            assert_eq!(r.status(), 400);
            assert_eq!(r.header("server"), Some("trellis"));
        }
    }
}
