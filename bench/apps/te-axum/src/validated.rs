//! The validated endpoint of the suite, `POST /items/{shop_id}?limit=N` with a JSON body
//! of ten constrained fields, exactly as `bench/apps/validated-axum` does it: serde decodes,
//! the constraints are checked by hand (the cheapest way there is: no schema, no regex
//! engine), every error is collected and answered as one 422 in FastAPI's shape, and a
//! valid item is echoed back through a response struct. `bench/apps/validated-axum`
//! compiles this same file (`#[path]`), so both benchmarks run the same code.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
enum Category {
    Books,
    Games,
    Music,
}

/// The request body. Constraints (checked in [`Item::check`]): name 1..=50 characters,
/// description at most 200, price >= 0, quantity 1..=1000, email an address,
/// currency `^[A-Z]{3}$`, at most 10 tags, discount 0..=1.
#[derive(Debug, Deserialize, Serialize)]
pub(crate) struct Item {
    name: String,
    description: Option<String>,
    price: f64,
    quantity: u32,
    email: String,
    currency: String,
    tags: Vec<String>,
    in_stock: bool,
    category: Category,
    discount: f64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Paging {
    pub(crate) limit: u32,
}

/// The response model.
#[derive(Debug, Serialize)]
pub(crate) struct Echo {
    pub(crate) shop_id: u32,
    pub(crate) limit: u32,
    pub(crate) item: Item,
}

/// One validation error, FastAPI-like.
struct Error {
    kind: &'static str,
    loc: Vec<Value>,
    msg: String,
}

fn err(kind: &'static str, loc: &[&str], msg: impl Into<String>) -> Error {
    Error {
        kind,
        loc: loc.iter().map(|s| Value::from(*s)).collect(),
        msg: msg.into(),
    }
}

fn unprocessable(errors: Vec<Error>) -> Response {
    let detail: Vec<Value> = errors
        .into_iter()
        .map(|e| json!({"type": e.kind, "loc": e.loc, "msg": e.msg}))
        .collect();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "detail": detail })),
    )
        .into_response()
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !s.contains(char::is_whitespace)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

impl Item {
    fn check(&self, errors: &mut Vec<Error>) {
        let name_len = self.name.chars().count();
        if name_len < 1 {
            errors.push(err(
                "string_too_short",
                &["body", "name"],
                "String should have at least 1 character",
            ));
        } else if name_len > 50 {
            errors.push(err(
                "string_too_long",
                &["body", "name"],
                "String should have at most 50 characters",
            ));
        }
        if let Some(d) = &self.description
            && d.chars().count() > 200
        {
            errors.push(err(
                "string_too_long",
                &["body", "description"],
                "String should have at most 200 characters",
            ));
        }
        if self.price < 0.0 {
            errors.push(err(
                "greater_than_equal",
                &["body", "price"],
                "Input should be greater than or equal to 0",
            ));
        }
        if self.quantity < 1 {
            errors.push(err(
                "greater_than_equal",
                &["body", "quantity"],
                "Input should be greater than or equal to 1",
            ));
        } else if self.quantity > 1000 {
            errors.push(err(
                "less_than_equal",
                &["body", "quantity"],
                "Input should be less than or equal to 1000",
            ));
        }
        if !is_email(&self.email) {
            errors.push(err(
                "value_error",
                &["body", "email"],
                "value is not a valid email address",
            ));
        }
        if !(self.currency.len() == 3 && self.currency.bytes().all(|b| b.is_ascii_uppercase())) {
            errors.push(err(
                "string_pattern_mismatch",
                &["body", "currency"],
                "String should match pattern '^[A-Z]{3}$'",
            ));
        }
        if self.tags.len() > 10 {
            errors.push(err(
                "too_long",
                &["body", "tags"],
                "List should have at most 10 items",
            ));
        }
        if self.discount < 0.0 {
            errors.push(err(
                "greater_than_equal",
                &["body", "discount"],
                "Input should be greater than or equal to 0",
            ));
        } else if self.discount > 1.0 {
            errors.push(err(
                "less_than_equal",
                &["body", "discount"],
                "Input should be less than or equal to 1",
            ));
        }
    }
}

pub(crate) async fn validated(
    shop_id: Result<Path<u32>, PathRejection>,
    query: Result<Query<Paging>, QueryRejection>,
    item: Result<Json<Item>, JsonRejection>,
) -> Response {
    let mut errors = Vec::new();
    let shop_id = match shop_id {
        Ok(Path(id)) => Some(id),
        Err(e) => {
            errors.push(err("int_parsing", &["path", "shop_id"], e.body_text()));
            None
        }
    };
    let limit = match query {
        Ok(Query(q)) => {
            if !(1..=100).contains(&q.limit) {
                errors.push(err(
                    if q.limit < 1 {
                        "greater_than_equal"
                    } else {
                        "less_than_equal"
                    },
                    &["query", "limit"],
                    "Input should be between 1 and 100",
                ));
            }
            Some(q.limit)
        }
        Err(e) => {
            errors.push(err("int_parsing", &["query", "limit"], e.body_text()));
            None
        }
    };
    let item = match item {
        Ok(Json(item)) => {
            item.check(&mut errors);
            Some(item)
        }
        Err(JsonRejection::MissingJsonContentType(e)) => return e.into_response(),
        Err(e) => {
            errors.push(err("model_attributes_type", &["body"], e.body_text()));
            None
        }
    };
    match (shop_id, limit, item) {
        (Some(shop_id), Some(limit), Some(item)) if errors.is_empty() => Json(Echo {
            shop_id,
            limit,
            item,
        })
        .into_response(),
        _ => unprocessable(errors),
    }
}
