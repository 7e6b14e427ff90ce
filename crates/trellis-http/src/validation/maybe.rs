//! [`Maybe`]: a field that tells "not sent" apart from "sent as null" (Pydantic's *unset*),
//! for partial updates (`PATCH`) and FastAPI's `exclude_unset`.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A field that may be unset (absent from the input), explicitly null, or a value.
///
/// Declare it with `#[serde(default, skip_serializing_if = "Maybe::is_unset")]`: a body
/// without the field reads as [`Maybe::Unset`], and answering the same type leaves unset
/// fields out of the JSON (FastAPI's `response_model_exclude_unset`).
///
/// ```
/// use schemars::JsonSchema;
/// use serde::{Deserialize, Serialize};
/// use trellis_http::validation::Maybe;
///
/// #[derive(Deserialize, Serialize, JsonSchema)]
/// struct ItemPatch {
///     #[serde(default, skip_serializing_if = "Maybe::is_unset")]
///     name: Maybe<String>,
///     #[serde(default, skip_serializing_if = "Maybe::is_unset")]
///     note: Maybe<String>,
/// }
///
/// let patch: ItemPatch = serde_json::from_str(r#"{"note": null}"#).unwrap();
/// assert!(patch.name.is_unset());
/// assert_eq!(patch.note, Maybe::Null);
/// assert_eq!(serde_json::to_string(&patch).unwrap(), r#"{"note":null}"#);
///
/// let mut name = String::from("old");
/// Maybe::Value(String::from("new")).apply(&mut name);
/// assert_eq!(name, "new");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Maybe<T> {
    /// Not in the input.
    #[default]
    Unset,
    /// Sent as `null`.
    Null,
    /// Sent with a value.
    Value(T),
}

impl<T> Maybe<T> {
    /// Whether the field was absent.
    pub fn is_unset(&self) -> bool {
        matches!(self, Maybe::Unset)
    }

    /// Whether the field was sent (as null or a value).
    pub fn is_set(&self) -> bool {
        !self.is_unset()
    }

    /// The value, if one was sent.
    pub fn value(&self) -> Option<&T> {
        match self {
            Maybe::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Unset -> `None`, null -> `Some(None)`, a value -> `Some(Some(v))`.
    pub fn into_option(self) -> Option<Option<T>> {
        match self {
            Maybe::Unset => None,
            Maybe::Null => Some(None),
            Maybe::Value(v) => Some(Some(v)),
        }
    }

    /// Write a sent value into `target` (unset and null leave it alone: use
    /// [`apply_nullable`](Self::apply_nullable) for nullable targets).
    pub fn apply(self, target: &mut T) {
        if let Maybe::Value(v) = self {
            *target = v;
        }
    }

    /// Write a sent value or null into `target`; unset leaves it alone.
    pub fn apply_nullable(self, target: &mut Option<T>) {
        match self {
            Maybe::Unset => {}
            Maybe::Null => *target = None,
            Maybe::Value(v) => *target = Some(v),
        }
    }
}

impl<T> From<T> for Maybe<T> {
    fn from(v: T) -> Self {
        Maybe::Value(v)
    }
}

impl<T: Serialize> Serialize for Maybe<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Maybe::Value(v) => s.serialize_some(v),
            Maybe::Unset | Maybe::Null => s.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Maybe<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Maybe::Value(v),
            None => Maybe::Null,
        })
    }
}

impl<T: JsonSchema> JsonSchema for Maybe<T> {
    fn schema_name() -> Cow<'static, str> {
        <Option<T>>::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        <Option<T>>::schema_id()
    }

    fn inline_schema() -> bool {
        <Option<T>>::inline_schema()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        <Option<T>>::json_schema(generator)
    }

    fn _schemars_private_non_optional_json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }

    fn _schemars_private_is_option() -> bool {
        true
    }
}
