//! From text (path segments, query strings, headers, cookies, urlencoded forms) to JSON
//! guided by the target's schema: numbers and booleans parsed, repeated keys collected
//! into lists, header names matched with `_` as `-`.

use serde_json::{Map, Number, Value};

use super::error::{ErrorItem, Loc};
use super::schema::Validator;

/// The scalar type a schema expects, looking through `$ref` and nullable unions.
fn scalar_type<'a>(v: &'a Validator, schema: &'a Value) -> &'a str {
    let s = v.resolve(schema);
    match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ => {
            for key in ["anyOf", "oneOf"] {
                if let Some(branches) = s.get(key).and_then(Value::as_array) {
                    for b in branches {
                        let t = scalar_type(v, b);
                        if t != "null" {
                            return t;
                        }
                    }
                }
            }
            "string"
        }
    }
}

fn items_schema<'a>(v: &'a Validator, schema: &'a Value) -> Option<&'a Value> {
    let s = v.resolve(schema);
    if let Some(items) = s.get("items") {
        return Some(items);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = s.get(key).and_then(Value::as_array) {
            for b in branches {
                if let Some(i) = items_schema(v, b) {
                    return Some(i);
                }
            }
        }
    }
    None
}

/// Convert one text value to the JSON the schema expects; an unparsable number or
/// boolean is an error (pydantic's `int_parsing`, `float_parsing`, `bool_parsing`).
pub fn coerce_scalar(
    v: &Validator,
    schema: &Value,
    raw: &str,
    loc: &[Loc],
    errors: &mut Vec<ErrorItem>,
) -> Value {
    let input = Value::String(raw.to_string());
    match scalar_type(v, schema) {
        "integer" => match raw.trim().parse::<i64>() {
            Ok(i) => Value::Number(i.into()),
            Err(_) => match raw.trim().parse::<u64>() {
                Ok(u) => Value::Number(u.into()),
                Err(_) => {
                    errors.push(ErrorItem::new(
                        "int_parsing",
                        loc.to_vec(),
                        "Input should be a valid integer, unable to parse string as an integer",
                        input,
                    ));
                    Value::Null
                }
            },
        },
        "number" => match raw.trim().parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Value::Number(n),
            None => {
                errors.push(ErrorItem::new(
                    "float_parsing",
                    loc.to_vec(),
                    "Input should be a valid number, unable to parse string as a number",
                    input,
                ));
                Value::Null
            }
        },
        "boolean" => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => Value::Bool(true),
            "false" | "0" | "no" | "off" | "f" | "n" => Value::Bool(false),
            _ => {
                errors.push(ErrorItem::new(
                    "bool_parsing",
                    loc.to_vec(),
                    "Input should be a valid boolean, unable to interpret input",
                    input,
                ));
                Value::Null
            }
        },
        "null" if raw.is_empty() => Value::Null,
        _ => input,
    }
}

/// Build the JSON object for a struct from text pairs (query, form, headers, cookies).
///
/// `header_names` matches `x_token` with a `x-token` pair, case-insensitively. Keys the
/// schema does not know are ignored, as FastAPI does. A non-object schema is an error of
/// the caller: use [`coerce_scalar`].
pub fn coerce_pairs<K: AsRef<str>, V: AsRef<str>>(
    v: &Validator,
    pairs: &[(K, V)],
    header_names: bool,
    loc: &mut Vec<Loc>,
    errors: &mut Vec<ErrorItem>,
) -> Value {
    let root = v.resolve(v.schema());
    let mut out = Map::new();
    let Some(props) = root.get("properties").and_then(Value::as_object) else {
        return Value::Object(out);
    };
    for (name, schema) in props {
        let wanted = if header_names {
            name.replace('_', "-")
        } else {
            name.clone()
        };
        let matches = |k: &str| {
            if header_names {
                k.eq_ignore_ascii_case(&wanted)
            } else {
                k == wanted
            }
        };
        let values: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| matches(k.as_ref()))
            .map(|(_, val)| val.as_ref())
            .collect();
        if values.is_empty() {
            continue;
        }
        loc.push(Loc::Key(name.clone()));
        if scalar_type(v, schema) == "array" {
            let item_schema = items_schema(v, schema)
                .cloned()
                .unwrap_or(Value::Bool(true));
            let mut list = Vec::with_capacity(values.len());
            for (i, raw) in values.iter().enumerate() {
                loc.push(Loc::Index(i));
                list.push(coerce_scalar(v, &item_schema, raw, loc, errors));
                loc.pop();
            }
            out.insert(name.clone(), Value::Array(list));
        } else {
            let raw = values[values.len() - 1];
            out.insert(name.clone(), coerce_scalar(v, schema, raw, loc, errors));
        }
        loc.pop();
    }
    Value::Object(out)
}
