//! Raw axum peer for the Trellis core benchmark.
//!
//! No middleware, no state: just the two TechEmpower-style endpoints.
//! Usage: `bench-axum-baseline [ADDR]` (default `127.0.0.1:8080`).

use axum::{Json, Router, routing::get};
use serde::Serialize;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

async fn plaintext() -> &'static str {
    "Hello, World!"
}

async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());

    let app = Router::new()
        .route("/plaintext", get(plaintext))
        .route("/json", get(json));

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bench-axum-baseline listening on http://{addr}");
    axum::serve(listener, app).await
}
