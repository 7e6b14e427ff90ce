//! A typed CRUD API stored with the ORM: validated inputs, response models (the stored
//! row is not the answer), declared statuses, documented responses, and a
//! bearer-protected write side.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use trellis::db::DbError;
use trellis::deps::SecurityScheme;
use trellis::orm::prelude::*;
use trellis::prelude::*;
use trellis::response::{Created, ErrorDetail, NoContent};
use trellis::validation::Maybe;

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
    /// Free-form labels (no commas).
    #[serde(default)]
    #[schemars(
        length(max = 10),
        inner(length(min = 1, max = 30), regex(pattern = r"^[^,]*$"))
    )]
    pub tags: Vec<String>,
}

/// What a client sends to change some fields of an item (`PATCH`): fields left out keep
/// their value (Pydantic's "unset"; answered back, they stay out: `exclude_unset`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    /// Display name.
    #[serde(default, skip_serializing_if = "Maybe::is_unset")]
    #[schemars(length(min = 1, max = 50))]
    pub name: Maybe<String>,
    /// Unit price.
    #[serde(default, skip_serializing_if = "Maybe::is_unset")]
    #[schemars(range(min = 0.0, max = 1_000_000.0))]
    pub price: Maybe<f64>,
    /// Units in stock.
    #[serde(default, skip_serializing_if = "Maybe::is_unset")]
    #[schemars(range(max = 10_000))]
    pub quantity: Maybe<u32>,
    /// Free-form labels (no commas); `null` clears them.
    #[serde(default, skip_serializing_if = "Maybe::is_unset")]
    #[schemars(
        length(max = 10),
        inner(length(min = 1, max = 30), regex(pattern = r"^[^,]*$"))
    )]
    pub tags: Maybe<Vec<String>>,
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

/// An item as stored: the API's [`Item`] is built from it, so columns that are not in
/// the response model never leak.
#[derive(Model, Debug, Clone)]
#[model(app = "api", ordering = "id")]
pub struct ItemRow {
    /// Primary key.
    pub id: i64,
    /// Display name.
    #[field(max_length = 50, db_index)]
    pub name: String,
    /// Unit price.
    pub price: f64,
    /// Units in stock.
    pub quantity: i32,
    /// Labels, stored as `,a,b,` so one `contains(",a,")` lookup finds a tag.
    #[field(default = ",")]
    pub tags: String,
}

impl ItemRow {
    fn encode_tags(tags: &[String]) -> String {
        format!(",{},", tags.join(","))
    }

    fn from_new(id: i64, new: NewItem) -> ItemRow {
        ItemRow {
            id,
            name: new.name,
            price: new.price,
            quantity: new.quantity as i32,
            tags: Self::encode_tags(&new.tags),
        }
    }
}

impl From<ItemRow> for Item {
    fn from(row: ItemRow) -> Item {
        Item {
            id: row.id as u64,
            name: row.name,
            price: row.price,
            quantity: row.quantity.max(0) as u32,
            tags: row
                .tags
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }
}

/// The 200 sample items `demo seed` loads.
pub fn sample_items() -> Vec<ItemRow> {
    (1..=200i64)
        .map(|i| ItemRow {
            id: 0,
            name: format!("Item {i}"),
            price: i as f64 * 1.25,
            quantity: (i % 50) as i32,
            tags: if i % 2 == 0 {
                ",even,".into()
            } else {
                ",odd,".into()
            },
        })
        .collect()
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

async fn find(db: &Db, id: u64) -> Result<ItemRow, HttpError> {
    match ItemRow::objects().filter(Q::pk(id as i64)).get(db).await {
        Ok(row) => Ok(row),
        Err(trellis::orm::Error::DoesNotExist { .. }) => Err(not_found(id)),
        Err(e) => Err(DbError(e).into()),
    }
}

/// List items.
///
/// A page of items in `id` order, filtered by name (`q`, case-insensitive) and by tags
/// (repeat `tag`: an item must have them all). `total` counts every matching item, so a
/// client can page with `limit` and `offset`.
#[handler]
async fn list(
    State(db): State<Db>,
    Query(q): Query<ListQuery>,
) -> Result<Json<ItemPage>, HttpError> {
    let mut qs = ItemRow::objects();
    if let Some(text) = q.q.as_deref().filter(|t| !t.is_empty()) {
        qs = qs.filter(ItemRow::f().name.icontains(text));
    }
    for tag in &q.tag {
        qs = qs.filter(ItemRow::f().tags.contains(format!(",{tag},")));
    }
    let total = qs.count(&db).await.map_err(DbError)? as usize;
    let offset = u64::from(q.offset.unwrap_or(0));
    let limit = u64::from(q.limit.unwrap_or(200));
    let rows = qs
        .slice(offset..offset + limit)
        .all(&db)
        .await
        .map_err(DbError)?;
    Ok(Json(ItemPage {
        items: rows.into_iter().map(Item::from).collect(),
        total,
    }))
}

/// Show an item.
///
/// Answers 404 when no item has this `id`.
#[handler]
async fn show(State(db): State<Db>, Path(id): Path<u64>) -> Result<Json<Item>, HttpError> {
    Ok(Json(find(&db, id).await?.into()))
}

/// Create an item.
///
/// The server chooses the `id`. Needs `Authorization: Bearer demo-token`.
#[handler]
async fn create(
    Dep(_): Dep<ApiToken>,
    State(db): State<Db>,
    Json(new): Json<NewItem>,
) -> Result<Created<Item>, HttpError> {
    let mut row = ItemRow::from_new(0, new);
    row.save(&db).await.map_err(DbError)?;
    Ok(Created(row.into()))
}

/// Replace an item.
///
/// Every field is set from the body (`tags` left out: no tags). Needs
/// `Authorization: Bearer demo-token`.
#[handler]
async fn replace(
    Dep(_): Dep<ApiToken>,
    State(db): State<Db>,
    Path(id): Path<u64>,
    Json(new): Json<NewItem>,
) -> Result<Json<Item>, HttpError> {
    let existing = find(&db, id).await?;
    let mut row = ItemRow::from_new(existing.id, new);
    row.save(&db).await.map_err(DbError)?;
    Ok(Json(row.into()))
}

/// Change some fields of an item.
///
/// Fields left out keep their value; `tags: null` clears the tags, `null` for another
/// field is a 400. Needs `Authorization: Bearer demo-token`.
#[handler]
async fn patch(
    Dep(_): Dep<ApiToken>,
    State(db): State<Db>,
    Path(id): Path<u64>,
    Json(patch): Json<ItemPatch>,
) -> Result<Json<Item>, HttpError> {
    let mut row = find(&db, id).await?;
    let not_null = |field: &str| HttpError::bad_request(format!("{field} cannot be null"));
    if matches!(patch.name, Maybe::Null) {
        return Err(not_null("name"));
    }
    if matches!(patch.price, Maybe::Null) {
        return Err(not_null("price"));
    }
    if matches!(patch.quantity, Maybe::Null) {
        return Err(not_null("quantity"));
    }
    patch.name.apply(&mut row.name);
    patch.price.apply(&mut row.price);
    if let Maybe::Value(q) = patch.quantity {
        row.quantity = q as i32;
    }
    match patch.tags {
        Maybe::Unset => {}
        Maybe::Null => row.tags = ItemRow::encode_tags(&[]),
        Maybe::Value(tags) => row.tags = ItemRow::encode_tags(&tags),
    }
    row.save(&db).await.map_err(DbError)?;
    Ok(Json(row.into()))
}

/// Delete an item.
///
/// Needs `Authorization: Bearer demo-token`.
#[handler]
async fn remove(
    Dep(_): Dep<ApiToken>,
    State(db): State<Db>,
    Path(id): Path<u64>,
) -> Result<NoContent, HttpError> {
    let row = find(&db, id).await?;
    row.delete(&db).await.map_err(DbError)?;
    Ok(NoContent)
}

/// The items routes. Their summaries and descriptions in the OpenAPI document come from
/// the handlers' doc comments (`#[handler]`).
pub(crate) fn routes(router: Router) -> Router {
    router
        .route(
            "/items",
            get(list)
                .response::<ItemPage>(200, "A page of items")
                .post(create)
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
                .patch(patch)
                .response::<Item>(200, "The item, changed")
                .response::<ErrorDetail>(400, "A field that cannot be null was null")
                .response::<ErrorDetail>(401, "Missing or invalid bearer token")
                .response::<ErrorDetail>(404, "No such item")
                .delete(remove)
                .response::<()>(204, "Deleted")
                .response::<ErrorDetail>(401, "Missing or invalid bearer token")
                .response::<ErrorDetail>(404, "No such item")
                .name("item"),
        )
}
