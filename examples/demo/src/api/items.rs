//! A typed CRUD API over an in-memory store (until the ORM lands): validated inputs,
//! response models, declared statuses, documented responses, and a bearer-protected
//! write side.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use trellis::deps::SecurityScheme;
use trellis::prelude::*;
use trellis::response::{Created, ErrorDetail, NoContent};

/// The token the demo accepts: `Authorization: Bearer demo-token`.
pub const DEMO_TOKEN: &str = "demo-token";

/// An item, as stored and as answered.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Item {
    /// Identifier.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// Unit price.
    pub price: f64,
    /// Units in stock.
    pub quantity: u32,
    /// Free-form labels.
    pub tags: Vec<String>,
}

/// What a client sends to create or replace an item.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// Display name.
    #[schemars(length(min = 1, max = 50))]
    pub name: String,
    /// Unit price.
    #[schemars(range(min = 0.0, max = 1_000_000.0))]
    pub price: f64,
    /// Units in stock.
    #[schemars(range(max = 10_000))]
    pub quantity: u32,
    /// Free-form labels.
    #[serde(default)]
    #[schemars(length(max = 10))]
    pub tags: Vec<String>,
}

/// A page of items.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ItemPage {
    /// The items of this page.
    pub items: Vec<Item>,
    /// How many items match, in all.
    pub total: usize,
}

/// Paging and filtering of the list.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListQuery {
    /// Page size.
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u32>,
    /// Only items whose name contains this text.
    #[schemars(length(max = 50))]
    pub q: Option<String>,
    /// Only items with all these tags (repeat the parameter).
    #[serde(default)]
    pub tag: Vec<String>,
}

/// The in-memory store (app state).
#[derive(Debug, Clone)]
pub struct ItemStore(Arc<RwLock<BTreeMap<u64, Item>>>);

impl Default for ItemStore {
    fn default() -> Self {
        let items = (1..=200u64)
            .map(|i| {
                let item = Item {
                    id: i,
                    name: format!("Item {i}"),
                    price: i as f64 * 1.25,
                    quantity: (i % 50) as u32,
                    tags: if i % 2 == 0 {
                        vec!["even".into()]
                    } else {
                        vec!["odd".into()]
                    },
                };
                (i, item)
            })
            .collect();
        ItemStore(Arc::new(RwLock::new(items)))
    }
}

impl ItemStore {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<u64, Item>> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<u64, Item>> {
        self.0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The caller presented the demo's bearer token.
#[derive(Debug, Clone)]
pub struct ApiToken;

impl Dependency for ApiToken {
    fn declare(deps: &mut Declare) {
        deps.security(SecurityScheme::http_bearer("bearerAuth"));
    }

    async fn resolve(cx: &mut Resolver<'_>) -> Result<Self, HttpError> {
        let headers: HeaderMap = cx.extract().await?;
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match token {
            Some(t) if t == DEMO_TOKEN => Ok(ApiToken),
            Some(_) => Err(HttpError::unauthorized("Invalid token")),
            None => Err(HttpError::unauthorized("Not authenticated")),
        }
    }
}

fn not_found(id: u64) -> HttpError {
    HttpError::not_found(format!("Item {id} not found"))
}

/// `GET /api/items`: a page of items.
async fn list(State(store): State<ItemStore>, Query(q): Query<ListQuery>) -> Json<ItemPage> {
    let items = store.read();
    let matching: Vec<&Item> = items
        .values()
        .filter(|i| {
            q.q.as_deref()
                .is_none_or(|text| i.name.to_lowercase().contains(&text.to_lowercase()))
        })
        .filter(|i| q.tag.iter().all(|t| i.tags.contains(t)))
        .collect();
    let total = matching.len();
    let page = matching
        .into_iter()
        .skip(q.offset.unwrap_or(0) as usize)
        .take(q.limit.unwrap_or(200) as usize)
        .cloned()
        .collect();
    Json(ItemPage { items: page, total })
}

/// `GET /api/items/{id}`.
async fn show(
    State(store): State<ItemStore>,
    Path(id): Path<u64>,
) -> Result<Json<Item>, HttpError> {
    store
        .read()
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| not_found(id))
}

/// `POST /api/items` (bearer): create.
async fn create(
    Dep(_): Dep<ApiToken>,
    State(store): State<ItemStore>,
    Json(new): Json<NewItem>,
) -> Created<Item> {
    let mut items = store.write();
    let id = items.keys().next_back().copied().unwrap_or(0) + 1;
    let item = Item {
        id,
        name: new.name,
        price: new.price,
        quantity: new.quantity,
        tags: new.tags,
    };
    items.insert(id, item.clone());
    Created(item)
}

/// `PUT /api/items/{id}` (bearer): replace.
async fn replace(
    Dep(_): Dep<ApiToken>,
    State(store): State<ItemStore>,
    Path(id): Path<u64>,
    Json(new): Json<NewItem>,
) -> Result<Json<Item>, HttpError> {
    let mut items = store.write();
    let slot = items.get_mut(&id).ok_or_else(|| not_found(id))?;
    *slot = Item {
        id,
        name: new.name,
        price: new.price,
        quantity: new.quantity,
        tags: new.tags,
    };
    Ok(Json(slot.clone()))
}

/// `DELETE /api/items/{id}` (bearer).
async fn remove(
    Dep(_): Dep<ApiToken>,
    State(store): State<ItemStore>,
    Path(id): Path<u64>,
) -> Result<NoContent, HttpError> {
    store
        .write()
        .remove(&id)
        .map(|_| NoContent)
        .ok_or_else(|| not_found(id))
}

/// The items routes.
pub(crate) fn routes(router: Router) -> Router {
    router
        .route(
            "/items",
            get(list)
                .summary("List items")
                .description("A page of items, filtered by name (`q`) and tags (repeat `tag`).")
                .response::<ItemPage>(200, "A page of items")
                .post(create)
                .summary("Create an item")
                .description("Needs `Authorization: Bearer demo-token`.")
                .response::<Item>(201, "The item, created")
                .response::<ErrorDetail>(401, "Missing or invalid bearer token")
                .name("items"),
        )
        .route(
            "/items/{id:int}",
            get(show)
                .response::<Item>(200, "The item")
                .response::<ErrorDetail>(404, "No such item")
                .put(replace)
                .response::<Item>(200, "The item, replaced")
                .response::<ErrorDetail>(401, "Missing or invalid bearer token")
                .response::<ErrorDetail>(404, "No such item")
                .delete(remove)
                .response::<()>(204, "Deleted")
                .response::<ErrorDetail>(401, "Missing or invalid bearer token")
                .response::<ErrorDetail>(404, "No such item")
                .name("item"),
        )
}
