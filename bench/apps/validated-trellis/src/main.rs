//! Trellis contender of the validation benchmark (`bench/validation/run`).
//!
//! `POST /items/{shop_id}?limit=N` with a JSON body of ten constrained fields, validated
//! by Trellis's extractors (every error in one 422, FastAPI's shape) and echoed back
//! through a response model. `POST /plain/{shop_id}?limit=N` takes the same inputs through
//! the unvalidated `extract::raw` extractors (serde only, no constraint checked) and echoes
//! them the same way: the difference between the two is what validation costs.
//!
//! Usage: `bench-validated-trellis runserver 127.0.0.1:PORT` (any `trellis::run` command).

use trellis::extract::{Json, raw};
use trellis::routing::post;

#[path = "../../te-trellis/src/validated.rs"]
mod validated;

use validated::{Echo, Item, Paging, validated};

async fn plain(
    raw::Path(shop_id): raw::Path<u32>,
    raw::Query(q): raw::Query<Paging>,
    raw::Json(item): raw::Json<Item>,
) -> Json<Echo> {
    Json(Echo {
        shop_id,
        limit: q.limit,
        item,
    })
}

fn main() -> std::process::ExitCode {
    let app = trellis::App::new("bench")
        .route("/items/{shop_id}", post(validated))
        .route("/plain/{shop_id}", post(plain));
    trellis::run(app)
}
