//! Dependency injection: caching, fresh uses, sub-dependencies, teardown order and
//! outcome, overrides, short-circuiting errors, and the start-up graph.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use trellis_http::App;
use trellis_http::deps::{Declare, Dep, Dependency, Fresh, Resolver};
use trellis_http::response::HttpError;
use trellis_http::routing::get;
use trellis_http::testing::TestClient;

/// What happened during a request, in order.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<String>>>);

impl Events {
    fn push(&self, e: impl Into<String>) {
        self.0.lock().unwrap().push(e.into());
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

#[derive(Clone, Default)]
struct Counter(Arc<AtomicUsize>);

/// The shared root: counts how often it is built.
#[derive(Clone)]
struct Db(usize);

impl Dependency for Db {
    async fn resolve(cx: &mut Resolver<'_>) -> Result<Self, HttpError> {
        let counter: Counter = cx.app_state()?;
        let events: Events = cx.app_state()?;
        let n = counter.0.fetch_add(1, Ordering::SeqCst) + 1;
        events.push(format!("open db {n}"));
        let ev = events.clone();
        cx.on_teardown(move |outcome| async move {
            ev.push(format!("close db {n} failed={}", outcome.failed()));
        });
        Ok(Db(n))
    }
}

#[derive(Clone)]
struct Users(usize);

impl Dependency for Users {
    fn declare(d: &mut Declare) {
        d.depends_on::<Db>();
    }
    async fn resolve(cx: &mut Resolver<'_>) -> Result<Self, HttpError> {
        let db: Db = cx.get().await?;
        let events: Events = cx.app_state()?;
        let ev = events.clone();
        cx.on_teardown(move |_| async move { ev.push("close users") });
        Ok(Users(db.0))
    }
}

#[derive(Clone)]
struct Orders(usize);

impl Dependency for Orders {
    fn declare(d: &mut Declare) {
        d.depends_on::<Db>();
    }
    async fn resolve(cx: &mut Resolver<'_>) -> Result<Self, HttpError> {
        let db: Db = cx.get().await?;
        let events: Events = cx.app_state()?;
        let ev = events.clone();
        cx.on_teardown(move |_| async move { ev.push("close orders") });
        Ok(Orders(db.0))
    }
}

async fn both(Dep(u): Dep<Users>, Dep(o): Dep<Orders>) -> String {
    format!("{} {}", u.0, o.0)
}

async fn fresh(Dep(a): Dep<Db>, Fresh(b): Fresh<Db>) -> String {
    format!("{} {}", a.0, b.0)
}

async fn failing(Dep(_u): Dep<Users>) -> Result<String, HttpError> {
    Err(HttpError::bad_request("nope"))
}

async fn panicking(Dep(_u): Dep<Users>) -> String {
    panic!("boom")
}

fn app() -> (App, Counter, Events) {
    let counter = Counter::default();
    let events = Events::default();
    let app = App::new("t")
        .settings(|s| s.debug = true)
        .state(counter.clone())
        .state(events.clone())
        .route("/both", get(both))
        .route("/fresh", get(fresh))
        .route("/failing", get(failing))
        .route("/panicking", get(panicking));
    (app, counter, events)
}

#[tokio::test]
async fn shared_dependency_runs_once_per_request() {
    let (app, counter, _) = app();
    let c = TestClient::new(app);
    assert_eq!(c.get("/both").await.text(), "1 1");
    assert_eq!(
        counter.0.load(Ordering::SeqCst),
        1,
        "Db used by two sub-dependencies must run once"
    );
    assert_eq!(
        c.get("/both").await.text(),
        "2 2",
        "the cache is per request"
    );
}

#[tokio::test]
async fn fresh_opts_out_of_the_cache() {
    let (app, counter, _) = app();
    let c = TestClient::new(app);
    assert_eq!(c.get("/fresh").await.text(), "1 2");
    assert_eq!(counter.0.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn teardowns_run_after_the_handler_last_registered_first() {
    let (app, _, events) = app();
    let c = TestClient::new(app);
    assert_eq!(c.get("/both").await.status(), 200);
    assert_eq!(
        events.take(),
        [
            "open db 1",
            "close orders",
            "close users",
            "close db 1 failed=false"
        ]
    );
}

#[tokio::test]
async fn teardown_sees_a_failed_handler() {
    let (app, _, events) = app();
    let c = TestClient::new(app);
    let r = c.get("/failing").await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>(),
        serde_json::json!({"detail": "nope"})
    );
    assert_eq!(events.take().last().unwrap(), "close db 1 failed=true");
}

#[tokio::test]
async fn teardown_sees_a_panic() {
    let (app, _, events) = app();
    let c = TestClient::new(app).allow_panics(true);
    assert_eq!(c.get("/panicking").await.status(), 500);
    assert_eq!(events.take().last().unwrap(), "close db 1 failed=true");
}

#[tokio::test]
async fn overrides_replace_a_dependency_and_its_subtree() {
    let (app, counter, _) = app();
    let c = TestClient::new(app.override_dependency(Users(42)));
    assert_eq!(c.get("/both").await.text(), "42 1");
    assert_eq!(
        counter.0.load(Ordering::SeqCst),
        1,
        "only Orders needed the real Db"
    );
}

#[tokio::test]
async fn override_with_factory() {
    let (app, counter, _) = app();
    let app = app.override_dependency_with(|| async { Ok(Db(7)) });
    let c = TestClient::new(app);
    assert_eq!(c.get("/both").await.text(), "7 7");
    assert_eq!(counter.0.load(Ordering::SeqCst), 0);
}

#[derive(Clone)]
struct Token;

impl Dependency for Token {
    async fn resolve(cx: &mut Resolver<'_>) -> Result<Self, HttpError> {
        let headers: http::HeaderMap = cx.extract().await?;
        match headers.get("authorization").and_then(|v| v.to_str().ok()) {
            Some("Bearer secret") => Ok(Token),
            _ => Err(HttpError::unauthorized("Not authenticated")),
        }
    }
}

#[tokio::test]
async fn failing_dependency_short_circuits_with_its_response() {
    let ran = Arc::new(AtomicUsize::new(0));
    let r2 = ran.clone();
    let app = App::new("t").settings(|s| s.debug = true).route(
        "/secret",
        get(move |Dep(_t): Dep<Token>| {
            let r = r2.clone();
            async move {
                r.fetch_add(1, Ordering::SeqCst);
                "in"
            }
        }),
    );
    let c = TestClient::new(app);
    let r = c.get("/secret").await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        r.json::<serde_json::Value>(),
        serde_json::json!({"detail": "Not authenticated"})
    );
    assert_eq!(ran.load(Ordering::SeqCst), 0);
    let r = c
        .get("/secret")
        .header("authorization", "Bearer secret")
        .await;
    assert_eq!((r.status().as_u16(), r.text()), (200, "in".to_string()));
}

#[tokio::test]
async fn graph_is_built_at_startup() {
    let (app, _, _) = app();
    let c = TestClient::new(app);
    let route = c
        .state()
        .routes()
        .iter()
        .find(|r| r.pattern().as_str() == "/both")
        .unwrap();
    let (_, op) = &route.operations()[0];
    let names: Vec<&str> = op
        .dependencies
        .iter()
        .map(|d| d.type_name.rsplit("::").next().unwrap())
        .collect();
    assert_eq!(names, ["Users", "Orders"]);
    assert_eq!(
        op.dependencies[0].children[0].type_name.rsplit("::").next(),
        Some("Db")
    );
}

#[derive(Clone)]
struct CycleA;
#[derive(Clone)]
struct CycleB;

impl Dependency for CycleA {
    fn declare(d: &mut Declare) {
        d.depends_on::<CycleB>();
    }
    async fn resolve(cx: &mut Resolver<'_>) -> Result<Self, HttpError> {
        cx.get::<CycleB>().await?;
        Ok(CycleA)
    }
}

impl Dependency for CycleB {
    fn declare(d: &mut Declare) {
        d.depends_on::<CycleA>();
    }
    async fn resolve(cx: &mut Resolver<'_>) -> Result<Self, HttpError> {
        cx.get::<CycleA>().await?;
        Ok(CycleB)
    }
}

#[test]
fn dependency_cycles_are_startup_errors() {
    async fn h(Dep(_a): Dep<CycleA>) {}
    let err = App::new("t")
        .settings(|s| s.debug = true)
        .route("/c", get(h))
        .build_with(test_settings())
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("dependency cycle") && msg.contains("CycleA") && msg.contains("CycleB"),
        "{msg}"
    );
}

#[test]
fn missing_state_is_a_startup_error() {
    use trellis_http::extract::State;
    async fn h(State(_c): State<Counter>) {}
    let err = App::new("t")
        .route("/s", get(h))
        .build_with(test_settings())
        .unwrap_err();
    assert!(err.to_string().contains("Counter"), "{err}");
}

fn test_settings() -> trellis_http::settings::Settings {
    trellis_http::settings::SettingsLoader::new()
        .no_file()
        .env_vars::<&str, &str>([])
        .defaults(|s| s.debug = true)
        .load()
        .unwrap()
}
