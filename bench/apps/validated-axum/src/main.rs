//! Raw axum + serde contender of the validation benchmark (`bench/validation/run`).
//!
//! The same endpoint as the Trellis contender, `POST /items/{shop_id}?limit=N` with a
//! JSON body of ten fields: serde decodes, the constraints are checked by hand (the
//! cheapest way there is: no schema, no regex engine), every error is collected and
//! answered as one 422 in FastAPI's shape, and a valid item is echoed back through a
//! response struct. `POST /plain/{shop_id}` decodes the same inputs without checking the
//! constraints. No middleware, tokio multi-thread runtime.
//!
//! Usage: `bench-validated-axum [ADDR]` (default `127.0.0.1:8080`).

use axum::extract::{Path, Query};
use axum::routing::post;
use axum::{Json, Router};

#[path = "../../te-axum/src/validated.rs"]
mod validated;

use validated::{Echo, Item, Paging, validated};

async fn plain(
    Path(shop_id): Path<u32>,
    Query(q): Query<Paging>,
    Json(item): Json<Item>,
) -> Json<Echo> {
    Json(Echo {
        shop_id,
        limit: q.limit,
        item,
    })
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());

    let app = Router::new()
        .route("/items/{shop_id}", post(validated))
        .route("/plain/{shop_id}", post(plain));

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("bench-validated-axum listening on http://{addr}");
    axum::serve(listener, app).await
}
