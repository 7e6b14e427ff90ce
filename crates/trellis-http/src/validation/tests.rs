use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::*;

#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
struct Tag {
    #[schemars(length(min = 1))]
    name: String,
}

#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Colour {
    Red,
    Green,
}

#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
struct Item {
    #[schemars(length(min = 1, max = 10))]
    name: String,
    #[schemars(range(min = 0.0))]
    price: f64,
    #[schemars(range(min = 1, max = 100))]
    quantity: i64,
    #[schemars(email)]
    contact: String,
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    currency: String,
    colour: Colour,
    description: Option<String>,
    #[schemars(length(max = 2))]
    tags: Vec<Tag>,
}

fn body() -> Vec<Loc> {
    vec![Loc::from("body")]
}

#[test]
fn a_valid_value_deserializes() {
    let v = json!({"name": "pen", "price": 1.5, "quantity": 2, "contact": "a@b.io", "currency": "EUR",
                   "colour": "red", "tags": [{"name": "x"}]});
    let item: Item = validate_value(&v, body()).unwrap();
    assert_eq!(item.quantity, 2);
    assert_eq!(item.description, None);
}

#[test]
fn every_error_is_reported_with_its_location() {
    let v = json!({"name": "a name that is too long", "price": -1, "quantity": "x", "contact": "nope",
                   "currency": "euro", "colour": "blue", "tags": [{"name": ""}, {"name": "b"}, {"name": "c"}]});
    let errs = validate_value::<Item>(&v, body()).unwrap_err().0;
    let got: Vec<(String, &str)> = errs
        .iter()
        .map(|e| (serde_json::to_string(&e.loc).unwrap(), e.kind))
        .collect();
    assert_eq!(
        got,
        [
            (r#"["body","name"]"#.to_string(), "string_too_long"),
            (r#"["body","price"]"#.to_string(), "greater_than_equal"),
            (r#"["body","quantity"]"#.to_string(), "int_parsing"),
            (r#"["body","contact"]"#.to_string(), "value_error"),
            (
                r#"["body","currency"]"#.to_string(),
                "string_pattern_mismatch"
            ),
            (r#"["body","colour"]"#.to_string(), "enum"),
            (r#"["body","tags"]"#.to_string(), "too_long"),
            (
                r#"["body","tags",0,"name"]"#.to_string(),
                "string_too_short"
            ),
        ]
    );
    let price = &errs[1];
    assert_eq!(price.msg, "Input should be greater than or equal to 0.0");
    assert_eq!(price.ctx.as_ref().unwrap()["ge"], json!(0.0));
    assert_eq!(price.input, json!(-1));
    assert_eq!(errs[5].msg, "Input should be 'red' or 'green'");
}

#[test]
fn missing_fields_report_the_parent_as_input() {
    let v = json!({"name": "pen"});
    let errs = validate_value::<Item>(&v, body()).unwrap_err().0;
    let missing: Vec<_> = errs
        .iter()
        .filter(|e| e.kind == "missing")
        .map(|e| e.loc.last().cloned().unwrap())
        .collect();
    assert_eq!(
        missing.len(),
        6,
        "every required field; `description` is optional"
    );
    assert!(missing.contains(&Loc::from("price")));
    assert!(
        errs.iter()
            .all(|e| e.msg == "Field required" && e.input == v)
    );
}

#[test]
fn a_non_object_body_is_one_error() {
    let errs = validate_value::<Item>(&json!([1, 2]), body())
        .unwrap_err()
        .0;
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].kind, "model_attributes_type");
    assert_eq!(errs[0].loc, vec![Loc::from("body")]);
}

#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
struct Params {
    #[schemars(range(min = 1, max = 50))]
    limit: i64,
    q: Option<String>,
    tag: Vec<String>,
    flag: Option<bool>,
    ratio: Option<f64>,
}

#[test]
fn text_pairs_are_coerced_by_the_schema() {
    let v = validator_for::<Params>();
    let pairs: Vec<(String, String)> = [
        ("limit", "10"),
        ("tag", "a"),
        ("tag", "b"),
        ("flag", "yes"),
        ("other", "x"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut errors = Vec::new();
    let value = coerce_pairs(
        &v,
        &pairs,
        false,
        &mut vec![Loc::from("query")],
        &mut errors,
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(value, json!({"limit": 10, "tag": ["a", "b"], "flag": true}));
    let p: Params = validate_value(&value, vec![Loc::from("query")]).unwrap();
    assert_eq!(p.tag, ["a", "b"]);
}

#[test]
fn unparsable_text_is_located() {
    let v = validator_for::<Params>();
    let pairs = vec![
        ("limit".to_string(), "ten".to_string()),
        ("ratio".to_string(), "x".to_string()),
    ];
    let mut errors = Vec::new();
    coerce_pairs(
        &v,
        &pairs,
        false,
        &mut vec![Loc::from("query")],
        &mut errors,
    );
    let got: Vec<_> = errors.iter().map(|e| (e.kind, e.loc.clone())).collect();
    assert_eq!(
        got,
        [
            ("int_parsing", vec![Loc::from("query"), Loc::from("limit")]),
            (
                "float_parsing",
                vec![Loc::from("query"), Loc::from("ratio")]
            ),
        ]
    );
}

#[derive(Debug, Deserialize, JsonSchema)]
struct Headers {
    x_token: String,
}

#[test]
fn header_names_use_hyphens() {
    let v = validator_for::<Headers>();
    let pairs = vec![("X-Token".to_string(), "secret".to_string())];
    let mut errors = Vec::new();
    let value = coerce_pairs(
        &v,
        &pairs,
        true,
        &mut vec![Loc::from("header")],
        &mut errors,
    );
    assert_eq!(value, json!({"x_token": "secret"}));
    let h: Headers = validate_value(&value, vec![Loc::from("header")]).unwrap();
    assert_eq!(h.x_token, "secret");
}

#[test]
fn errors_serialize_in_fastapi_shape() {
    let e = ErrorItem::new(
        "greater_than_equal",
        vec![Loc::from("query"), Loc::from("limit")],
        "Input should be greater than or equal to 1",
        json!(0),
    )
    .with_ctx("ge", 1);
    assert_eq!(
        serde_json::to_value(ValidationErrors(vec![e]).0).unwrap(),
        json!([{"type": "greater_than_equal", "loc": ["query", "limit"], "msg": "Input should be greater than or equal to 1", "input": 0, "ctx": {"ge": 1}}])
    );
}
