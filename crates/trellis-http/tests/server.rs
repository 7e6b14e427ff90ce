//! The server over real sockets: HTTP/1.1 keep-alive, HTTP/2 prior knowledge, graceful
//! shutdown that lets in-flight requests finish, bounded by the drain timeout.

use std::time::Duration;

use axum::body::Body;
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use trellis_http::App;
use trellis_http::routing::get;
use trellis_http::server::serve_listener;
use trellis_http::settings::SettingsLoader;

fn app() -> App {
    App::new("t")
        .route("/hello", get(|| async { "hello" }))
        .route(
            "/peer",
            get(
                |trellis_http::extract::PeerAddr(p): trellis_http::extract::PeerAddr| async move {
                    p.ip().to_string()
                },
            ),
        )
        .route(
            "/slow/{ms:int}",
            get(
                |trellis_http::extract::Path(ms): trellis_http::extract::Path<u64>| async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    format!("slept {ms}")
                },
            ),
        )
}

async fn start(
    drain_secs: u64,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let settings = SettingsLoader::new()
        .no_file()
        .env_vars::<&str, &str>([])
        .defaults(move |s| {
            s.debug = true;
            s.drain_timeout_secs = drain_secs;
        })
        .load()
        .unwrap();
    let built = app().build_with(settings).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(serve_listener(built, listener, async move {
        let _ = rx.await;
    }));
    (format!("http://{addr}"), tx, handle)
}

async fn get_text(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Body>,
    url: String,
) -> (u16, http::Version, String) {
    let resp = client.get(url.parse().unwrap()).await.unwrap();
    let status = resp.status().as_u16();
    let version = resp.version();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, version, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_keep_alive_and_http2_prior_knowledge() {
    let (base, tx, handle) = start(5).await;
    let h1: Client<_, Body> = Client::builder(TokioExecutor::new()).build_http();
    for _ in 0..3 {
        let (s, v, b) = get_text(&h1, format!("{base}/hello")).await;
        assert_eq!((s, v, b.as_str()), (200, http::Version::HTTP_11, "hello"));
    }
    let (s, _, b) = get_text(&h1, format!("{base}/peer")).await;
    assert_eq!(
        (s, b.as_str()),
        (200, "127.0.0.1"),
        "the peer address reaches handlers"
    );
    let h2: Client<_, Body> = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let (s, v, b) = get_text(&h2, format!("{base}/hello")).await;
    assert_eq!((s, v, b.as_str()), (200, http::Version::HTTP_2, "hello"));
    tx.send(()).unwrap();
    drop((h1, h2));
    tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_in_flight_requests_finish() {
    let (base, tx, handle) = start(30).await;
    let client: Client<_, Body> = Client::builder(TokioExecutor::new()).build_http();
    let c2 = client.clone();
    let slow = tokio::spawn(async move { get_text(&c2, format!("{base}/slow/800")).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    tx.send(()).unwrap();
    let (s, _, b) = slow.await.unwrap();
    assert_eq!((s, b.as_str()), (200, "slept 800"));
    tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drain_timeout_bounds_shutdown() {
    let (base, tx, handle) = start(1).await;
    let client: Client<_, Body> = Client::builder(TokioExecutor::new()).build_http();
    let _stuck = tokio::spawn(async move {
        client
            .get(format!("{base}/slow/60000").parse().unwrap())
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    tx.send(()).unwrap();
    // Returns after about a second although the request would take a minute.
    tokio::time::timeout(Duration::from_secs(15), handle)
        .await
        .expect("drain timeout not applied")
        .unwrap()
        .unwrap();
}
