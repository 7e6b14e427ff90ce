//! The validated endpoint, `POST /items/{shop_id}?limit=N` with a JSON body of ten
//! constrained fields, validated by Trellis's extractors (every error in one 422, FastAPI's
//! shape) and echoed back through a response model. `bench/apps/validated-trellis`
//! compiles this same file (`#[path]`), so both benchmarks run the same code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use trellis::extract::{Json, Path, Query};

/// Category of an item (an enum: a closed set of strings).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Category {
    Books,
    Games,
    Music,
}

/// The validated endpoint's body: ten fields, most with constraints.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub(crate) struct Item {
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

/// The validated endpoint's query string.
#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct Paging {
    #[schemars(range(min = 1, max = 100))]
    pub(crate) limit: u32,
}

/// The validated endpoint's response model.
#[derive(Debug, Serialize)]
pub(crate) struct Echo {
    pub(crate) shop_id: u32,
    pub(crate) limit: u32,
    pub(crate) item: Item,
}

/// `POST /items/{shop_id}?limit=N`: every input validated by Trellis's extractors.
pub(crate) async fn validated(
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
