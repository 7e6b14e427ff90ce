//! Blocking handlers run on the blocking pool: they never stall the event loop, and at most
//! `blocking_threads` run at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use trellis_http::App;
use trellis_http::extract::{Path, State};
use trellis_http::handler::blocking;
use trellis_http::routing::get;
use trellis_http::settings::SettingsLoader;
use trellis_http::testing::TestClient;

/// A one-shot signal from an async handler to a blocking one.
#[derive(Clone)]
struct Signal {
    tx: Arc<Mutex<mpsc::Sender<()>>>,
    rx: Arc<Mutex<mpsc::Receiver<()>>>,
}

fn wait_for_signal(State(s): State<Signal>) -> &'static str {
    // Blocks this thread until the async handler has run. On the event loop of a
    // single-threaded runtime this could never succeed: the async handler would not run.
    match s.rx.lock().unwrap().recv_timeout(Duration::from_secs(20)) {
        Ok(()) => "signalled",
        Err(_) => "stalled",
    }
}

async fn send_signal(State(s): State<Signal>) -> &'static str {
    s.tx.lock().unwrap().send(()).unwrap();
    "sent"
}

// `#[tokio::test]` runs on a current-thread runtime: one event-loop thread in all.
#[tokio::test]
async fn blocking_handlers_do_not_stall_async_ones() {
    let (tx, rx) = mpsc::channel();
    let signal = Signal {
        tx: Arc::new(Mutex::new(tx)),
        rx: Arc::new(Mutex::new(rx)),
    };
    let app = App::new("t")
        .settings(|s| s.debug = true)
        .state(signal)
        .route("/wait", get(blocking(wait_for_signal)))
        .route("/send", get(send_signal));
    let c = TestClient::new(app);
    let wait = c.get("/wait");
    let send = async {
        // Let the blocking request start first.
        tokio::time::sleep(Duration::from_millis(50)).await;
        c.get("/send").await
    };
    let (w, s) = tokio::join!(wait.into_future(), send);
    assert_eq!(s.text(), "sent");
    assert_eq!(w.text(), "signalled");
}

#[derive(Clone, Default)]
struct Gauge {
    now: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
}

fn busy(State(g): State<Gauge>, Path(ms): Path<u64>) -> String {
    let n = g.now.fetch_add(1, Ordering::SeqCst) + 1;
    g.max.fetch_max(n, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(ms));
    g.now.fetch_sub(1, Ordering::SeqCst);
    format!("slept {ms}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blocking_pool_is_bounded() {
    let gauge = Gauge::default();
    let app = App::new("t")
        .state(gauge.clone())
        .route("/busy/{ms:int}", get(blocking(busy)));
    let settings = SettingsLoader::new()
        .no_file()
        .env_vars::<&str, &str>([])
        .defaults(|s| {
            s.debug = true;
            s.blocking_threads = 2;
        })
        .load()
        .unwrap();
    let c = TestClient::with_settings(app, settings);
    let requests: Vec<_> = (0..6).map(|_| c.get("/busy/50").into_future()).collect();
    for r in futures_util::future::join_all(requests).await {
        assert_eq!(r.text(), "slept 50");
    }
    assert_eq!(
        gauge.max.load(Ordering::SeqCst),
        2,
        "at most blocking_threads run at once"
    );
}

fn blocking_panic() -> &'static str {
    panic!("blocking boom")
}

#[tokio::test]
async fn a_panicking_blocking_handler_is_a_500() {
    let app = App::new("t")
        .settings(|s| s.debug = true)
        .route("/p", get(blocking(blocking_panic)))
        .route("/ok", get(blocking(|| "ok")));
    let c = TestClient::new(app).allow_panics(true);
    let r = c.get("/p").await;
    assert_eq!(r.status(), 500);
    assert!(r.text().contains("blocking boom"));
    assert_eq!(c.get("/ok").await.text(), "ok");
}

#[tokio::test]
async fn blocking_handlers_take_extractors() {
    use trellis_http::extract::{Json, Query};
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct Q {
        x: i64,
    }
    fn add(Query(q): Query<Q>, Json(body): Json<i64>) -> String {
        (q.x + body).to_string()
    }
    let app = App::new("t")
        .settings(|s| s.debug = true)
        .route("/add", trellis_http::routing::post(blocking(add)));
    let c = TestClient::new(app);
    assert_eq!(c.post("/add?x=2").json(&40).await.text(), "42");
    let r = c.post("/add").json(&40).await;
    assert_eq!(r.status(), 422, "validation still applies: {}", r.text());
    assert_eq!(
        r.json::<serde_json::Value>()["detail"][0]["loc"],
        serde_json::json!(["query", "x"])
    );
}
