//! Trellis contender of the validation benchmark (`bench/validation/run`).
//!
//! `POST /items/{shop_id}?limit=N` with a JSON body of ten constrained fields, validated
//! by Trellis's extractors (every error in one 422, FastAPI's shape) and echoed back
//! through a response model. `POST /plain/{shop_id}?limit=N` takes the same inputs through
//! the unvalidated `extract::raw` extractors (serde only, no constraint checked) and echoes
//! them the same way: the difference between the two is what validation costs.
//!
//! Usage: `bench-validated-trellis runserver 127.0.0.1:PORT` (any `trellis::run` command).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use trellis::extract::{Json, Path, Query, raw};
use trellis::routing::post;

/// Category of an item (an enum: a closed set of strings).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Category {
    Books,
    Games,
    Music,
}

/// The request body: ten fields, most with constraints.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Item {
    #[schemars(length(min = 1, max = 50))]
    name: String,
    #[schemars(length(max = 200))]
    description: Option<String>,
    #[schemars(range(min = 0.0))]
    price: f64,
    #[schemars(range(min = 1, max = 1000))]
    quantity: u32,
    #[schemars(email)]
    email: String,
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    currency: String,
    #[schemars(length(max = 10))]
    tags: Vec<String>,
    in_stock: bool,
    category: Category,
    #[schemars(range(min = 0.0, max = 1.0))]
    discount: f64,
}

/// The query string.
#[derive(Debug, Deserialize, JsonSchema)]
struct Paging {
    #[schemars(range(min = 1, max = 100))]
    limit: u32,
}

/// The response model.
#[derive(Debug, Serialize)]
struct Echo {
    shop_id: u32,
    limit: u32,
    item: Item,
}

async fn validated(
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
