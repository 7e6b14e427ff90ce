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

/// The fast path (validation while deserializing) against the full validator: whatever
/// the fast path accepts, the full path accepts with the same value; what the full path
/// accepts, the fast path accepts too (for these schemas, all of which have a plan).
mod fast_path {
    use super::*;

    #[derive(Debug, Deserialize, JsonSchema, PartialEq)]
    struct Node {
        #[schemars(range(min = 0))]
        value: i32,
        children: Vec<Node>,
        next: Option<Box<Node>>,
    }

    #[derive(Debug, Deserialize, JsonSchema, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        #[schemars(extend("exclusiveMinimum" = 0.0, "exclusiveMaximum" = 1.0))]
        ratio: f64,
        #[schemars(length(min = 1, max = 3))]
        codes: Vec<u8>,
        #[schemars(extend("format" = "uuid"))]
        id: Option<String>,
        #[serde(default)]
        flag: bool,
    }

    #[derive(Debug, Deserialize, JsonSchema, PartialEq)]
    struct Paging {
        #[schemars(range(min = 1, max = 100))]
        limit: u32,
        q: Option<String>,
        colour: Option<Colour>,
    }

    fn plan_of<T: JsonSchema + 'static>() -> Arc<Validator> {
        let v = validator_for::<T>();
        assert!(
            v.plan().is_some(),
            "{} has no plan",
            std::any::type_name::<T>()
        );
        v
    }

    fn fast_json<T: DeserializeOwned + JsonSchema + 'static>(input: &str) -> Option<T> {
        let v = plan_of::<T>();
        let mut de = serde_json::Deserializer::from_str(input);
        let t = v.plan().unwrap().deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(t)
    }

    fn full_json<T: DeserializeOwned + JsonSchema + 'static>(input: &str) -> Option<T> {
        let value: Value = serde_json::from_str(input).ok()?;
        validate_value::<T>(&value, body()).ok()
    }

    fn agree<T: DeserializeOwned + JsonSchema + PartialEq + std::fmt::Debug + 'static>(
        input: &str,
    ) -> bool {
        let fast = fast_json::<T>(input);
        let full = full_json::<T>(input);
        assert_eq!(fast, full, "fast and full paths disagree on {input}");
        full.is_some()
    }

    #[test]
    fn json_inputs_get_the_same_answer_on_both_paths() {
        let item = |over: &str| {
            let mut v = json!({"name": "pen", "price": 1.5, "quantity": 2, "contact": "a@b.io",
                "currency": "EUR", "colour": "red", "description": null, "tags": [{"name": "x"}]});
            let over: Value = serde_json::from_str(over).unwrap();
            for (k, x) in over.as_object().unwrap() {
                v[k] = x.clone();
            }
            v.to_string()
        };
        assert!(agree::<Item>(&item("{}")));
        for bad in [
            r#"{"name": ""}"#,
            r#"{"name": "abcdefghijk"}"#,
            r#"{"price": -0.5}"#,
            r#"{"quantity": 0}"#,
            r#"{"quantity": 101}"#,
            r#"{"quantity": 2.5}"#,
            r#"{"quantity": "2"}"#,
            r#"{"contact": "nobody"}"#,
            r#"{"currency": "eur"}"#,
            r#"{"colour": "blue"}"#,
            r#"{"description": 5}"#,
            r#"{"tags": [{"name": ""}]}"#,
            r#"{"tags": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}"#,
            r#"{"tags": {}}"#,
        ] {
            assert!(!agree::<Item>(&item(bad)), "{bad} passed");
        }
        for good in [
            r#"{"quantity": 100}"#,
            r#"{"price": 0}"#,
            r#"{"name": "éèàùç"}"#,
            r#"{"description": "text"}"#,
            r#"{"tags": []}"#,
            r#"{"extra": {"ignored": [1, 2]}}"#,
        ] {
            assert!(agree::<Item>(&item(good)), "{good} failed");
        }
        agree::<Item>(&item(r#"{"quantity": 2.0}"#)); // an integral float: same answer
        assert!(!agree::<Item>(r#"{"name": "pen"}"#)); // missing fields
        assert!(!agree::<Item>("[1, 2]"));
    }

    #[test]
    fn recursive_optional_and_strict_types() {
        assert!(agree::<Node>(
            r#"{"value": 1, "children": [{"value": 2, "children": [], "next": null}],
                "next": {"value": 3, "children": []}}"#
        ));
        assert!(!agree::<Node>(
            r#"{"value": 1, "children": [{"value": -2, "children": []}]}"#
        ));
        assert!(!agree::<Node>(
            r#"{"value": 1, "children": [], "next": {"value": -3, "children": []}}"#
        ));
        assert!(agree::<Strict>(r#"{"ratio": 0.5, "codes": [1, 2]}"#));
        assert!(agree::<Strict>(
            r#"{"ratio": 0.5, "codes": [1], "id": "67e55044-10b1-426f-9247-bb680e5fe0c8", "flag": true}"#
        ));
        for bad in [
            r#"{"ratio": 0, "codes": [1]}"#,
            r#"{"ratio": 1.0, "codes": [1]}"#,
            r#"{"ratio": 0.5, "codes": []}"#,
            r#"{"ratio": 0.5, "codes": [1, 2, 3, 4]}"#,
            r#"{"ratio": 0.5, "codes": [256]}"#,
            r#"{"ratio": 0.5, "codes": [1], "id": "nope"}"#,
            r#"{"ratio": 0.5, "codes": [1], "other": 1}"#,
        ] {
            assert!(!agree::<Strict>(bad), "{bad} passed");
        }
    }

    fn fast_pairs<T: DeserializeOwned + JsonSchema + 'static>(query: &str) -> Option<T> {
        let v = plan_of::<T>();
        assert_eq!(v.plan().unwrap().shape(), Shape::Struct);
        let pairs: Vec<_> = form_urlencoded::parse(query.as_bytes()).collect();
        v.plan().unwrap().deserialize(Pairs::new(&pairs)).ok()
    }

    fn full_pairs<T: DeserializeOwned + JsonSchema + 'static>(query: &str) -> Option<T> {
        let v = validator_for::<T>();
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut errors = Vec::new();
        let value = coerce_pairs(
            &v,
            &pairs,
            false,
            &mut vec![Loc::from("query")],
            &mut errors,
        );
        if !errors.is_empty() {
            return None;
        }
        validate_value::<T>(&value, vec![Loc::from("query")]).ok()
    }

    #[test]
    fn query_strings_get_the_same_answer_on_both_paths() {
        for (query, ok) in [
            ("limit=10", true),
            ("limit=10&q=hello%20world&colour=green", true),
            ("limit=10&unknown=1", true),
            ("limit=+10", true), // `+` is a space: the full path trims it
            ("limit=0", false),
            ("limit=101", false),
            ("limit=abc", false),
            ("limit=10&colour=blue", false),
            ("q=x", false),
        ] {
            let fast = fast_pairs::<Paging>(query);
            let full = full_pairs::<Paging>(query);
            if fast.is_some() {
                assert_eq!(fast, full, "{query}");
            }
            assert_eq!(full.is_some(), ok, "{query}");
            if ok && !query.starts_with("limit=+") {
                assert!(fast.is_some(), "fast path refused {query}");
            }
        }
        // Text the fast path does not read goes to the full path, which knows pydantic's
        // coercions: a padded number, a repeated key.
        assert!(fast_pairs::<Paging>("limit=%2010").is_none());
        assert!(full_pairs::<Paging>("limit=%2010").is_some());
        assert!(fast_pairs::<Paging>("limit=5&limit=6").is_none());
        assert_eq!(full_pairs::<Paging>("limit=5&limit=6").unwrap().limit, 6);
    }

    #[test]
    fn unions_have_no_plan() {
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(untagged)]
        #[allow(dead_code)]
        enum Either {
            Number(u32),
            Text(String),
        }
        assert!(validator_for::<Either>().plan().is_none());
    }
}
