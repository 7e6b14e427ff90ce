//! Request validation from types (Pydantic's role in FastAPI).
//!
//! A type deriving `serde::Deserialize` and `schemars::JsonSchema` (with constraints as
//! `#[schemars(range(min = 1), length(max = 50), regex(pattern = ...), email)]`, or the
//! equivalent `#[garde(...)]`/`#[validate(...)]` attributes, which schemars reads) is
//! validated against its schema before it is deserialized, so that *every* error is
//! reported, each located, in FastAPI's shape ([`ValidationErrors`]).
//!
//! ```
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//! use trellis_http::validation::{Loc, validate_value};
//!
//! #[derive(Debug, Deserialize, JsonSchema)]
//! struct Item {
//!     #[schemars(length(min = 1, max = 20))]
//!     name: String,
//!     #[schemars(range(min = 0.0))]
//!     price: f64,
//! }
//!
//! let errors = validate_value::<Item>(&serde_json::json!({"name": "", "price": -1}), vec![Loc::from("body")]).unwrap_err();
//! let kinds: Vec<_> = errors.0.iter().map(|e| e.kind).collect();
//! assert_eq!(kinds, ["string_too_short", "greater_than_equal"]);
//! ```

mod coerce;
mod custom;
mod error;
mod maybe;
mod schema;
mod stream;

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

pub use coerce::{coerce_pairs, coerce_scalar};
pub use custom::{CheckError, Checks, garde_errors};
pub use error::{ErrorItem, Loc, ValidationErrors, ValidationResponse};
pub use maybe::Maybe;
pub use schema::Validator;
pub use stream::{Pairs, Plan, Shape, Text, TextError};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The compiled validator of a type, built once per type and shared.
pub fn validator_for<T: JsonSchema + 'static>() -> Arc<Validator> {
    static CACHE: OnceLock<RwLock<HashMap<TypeId, Arc<Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&TypeId::of::<T>())
    {
        return v.clone();
    }
    let schema = schemars::schema_for!(T).to_value();
    let v = Arc::new(
        Validator::new(schema).unwrap_or_else(|e| panic!("{}: {e}", std::any::type_name::<T>())),
    );
    cache
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(TypeId::of::<T>(), v.clone());
    v
}

/// Deserialize a value that has passed validation, then run the app's custom checks for
/// `T` ([`Checks`]); a failure is a `value_error` at its location under `loc`.
pub fn finish<T: DeserializeOwned + 'static>(
    value: Value,
    loc: &[Loc],
    errors: &mut Vec<ErrorItem>,
) -> Option<T> {
    // Deserialize from a reference: no copy of the value.
    let t = match T::deserialize(&value) {
        Ok(t) => t,
        Err(e) => {
            errors.push(ErrorItem::new(
                "value_error",
                loc.to_vec(),
                format!("Value error, {e}"),
                value,
            ));
            return None;
        }
    };
    let failed = crate::app::current_app()
        .and_then(|app| app.get::<Checks>().map(|c| c.run(&t)))
        .unwrap_or_default();
    if failed.is_empty() {
        return Some(t);
    }
    for f in failed {
        let input = f.path.iter().try_fold(&value, |v, seg| match seg {
            Loc::Key(k) => v.get(k.as_str()),
            Loc::Index(i) => v.get(*i),
        });
        let mut at = loc.to_vec();
        at.extend(f.path);
        errors.push(
            ErrorItem::new(
                "value_error",
                at,
                format!("Value error, {}", f.message),
                input.cloned().unwrap_or(Value::Null),
            )
            .with_ctx("error", f.message),
        );
    }
    None
}

/// Validate a JSON value as a `T` and deserialize it: every error, or the value.
pub fn validate_value<T: DeserializeOwned + JsonSchema + 'static>(
    value: &Value,
    loc: Vec<Loc>,
) -> Result<T, ValidationErrors> {
    let v = validator_for::<T>();
    let mut loc = loc;
    let mut errors = Vec::new();
    v.validate(value, &mut loc, &mut errors);
    if errors.is_empty()
        && let Some(t) = finish(value.clone(), &loc, &mut errors)
    {
        return Ok(t);
    }
    Err(ValidationErrors(errors))
}

#[cfg(test)]
mod tests;
