//! Validated extractors through a real app: every error of a request in one 422, in
//! FastAPI's shape, with the right `loc` and `type`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trellis_http::App;
use trellis_http::extract::{Cookies, Form, Header, Json, Path, Query};
use trellis_http::routing::{get, post};
use trellis_http::testing::TestClient;

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct NewItem {
    #[schemars(length(min = 1, max = 20))]
    name: String,
    #[schemars(range(min = 0.0))]
    price: f64,
    #[schemars(range(min = 1, max = 100))]
    quantity: i64,
    tags: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct Paging {
    #[schemars(range(min = 1, max = 50))]
    limit: i64,
    #[serde(default)]
    tag: Vec<String>,
}

async fn create(
    Path(shop): Path<u32>,
    Query(p): Query<Paging>,
    Json(item): Json<NewItem>,
) -> Json<Value> {
    Json(json!({ "shop": shop, "limit": p.limit, "tags": p.tag, "item": item }))
}

#[derive(Debug, Deserialize, JsonSchema)]
struct Auth {
    x_token: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct Session {
    session_id: String,
}

async fn whoami(Header(h): Header<Auth>, Cookies(c): Cookies<Session>) -> String {
    format!("{} {}", h.x_token, c.session_id)
}

#[derive(Debug, Deserialize, JsonSchema)]
struct Login {
    #[schemars(length(min = 3))]
    username: String,
    remember: Option<bool>,
}

async fn login(Form(f): Form<Login>) -> String {
    format!("{} {:?}", f.username, f.remember)
}

fn client() -> TestClient {
    TestClient::new(
        App::new("t")
            .settings(|s| s.debug = true)
            .route("/shops/{shop:int}/items", post(create))
            .route("/whoami", get(whoami))
            .route("/login", post(login)),
    )
}

fn errors(v: &Value) -> Vec<(Value, String)> {
    v["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["loc"].clone(), e["type"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn a_valid_request_reaches_the_handler() {
    let r = client()
        .post("/shops/7/items?limit=10&tag=a&tag=b")
        .json(&json!({"name": "pen", "price": 1.5, "quantity": 3, "tags": ["x"]}))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text());
    assert_eq!(r.json::<Value>()["tags"], json!(["a", "b"]));
    assert_eq!(r.json::<Value>()["item"]["quantity"], json!(3));
}

#[tokio::test]
async fn three_bad_body_fields_and_a_bad_query_parameter_in_one_422() {
    let r = client()
        .post("/shops/7/items?limit=500")
        .json(&json!({"name": "", "price": -2, "quantity": "many", "tags": []}))
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json();
    assert_eq!(
        errors(&body),
        [
            (json!(["query", "limit"]), "less_than_equal".to_string()),
            (json!(["body", "name"]), "string_too_short".to_string()),
            (json!(["body", "price"]), "greater_than_equal".to_string()),
            (json!(["body", "quantity"]), "int_parsing".to_string()),
        ]
    );
    assert_eq!(
        body["detail"][0],
        json!({"type": "less_than_equal", "loc": ["query", "limit"], "msg": "Input should be less than or equal to 50",
               "input": 500, "ctx": {"le": 50}})
    );
}

#[tokio::test]
async fn missing_values_and_unparsable_text() {
    let r = client()
        .post("/shops/7/items?limit=ten")
        .json(&json!({"name": "pen"}))
        .await;
    assert_eq!(r.status(), 422);
    let errs = errors(&r.json());
    assert!(
        errs.contains(&(json!(["query", "limit"]), "int_parsing".into())),
        "{errs:?}"
    );
    assert!(
        errs.contains(&(json!(["body", "price"]), "missing".into())),
        "{errs:?}"
    );
    assert!(
        errs.contains(&(json!(["body", "quantity"]), "missing".into())),
        "{errs:?}"
    );
}

#[tokio::test]
async fn malformed_json_is_json_invalid_and_the_wrong_content_type_415() {
    let c = client();
    let r = c
        .post("/shops/7/items?limit=1")
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .await;
    assert_eq!(r.status(), 422);
    let detail = r.json::<Value>()["detail"].clone();
    assert_eq!(detail.as_array().unwrap().len(), 1, "{detail}");
    let e = &detail[0];
    assert_eq!(e["type"], "json_invalid");
    assert_eq!(e["loc"][0], "body");
    assert!(e["loc"][1].is_u64());
    let r = c
        .post("/shops/7/items?limit=1")
        .header("content-type", "text/plain")
        .body("hello")
        .await;
    assert_eq!(r.status(), 415);
    assert!(r.text().contains("application/json"), "{}", r.text());
    let r = c.post("/shops/7/items?limit=1").await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        errors(&r.json()),
        [(json!(["body"]), "missing".to_string())]
    );
}

#[tokio::test]
async fn headers_and_cookies_are_validated_together() {
    let c = client();
    let r = c
        .get("/whoami")
        .header("x-token", "t0k")
        .header("cookie", "a=1; session_id=s3ss")
        .await;
    assert_eq!(r.text(), "t0k s3ss");
    let r = c.get("/whoami").await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        errors(&r.json()),
        [
            (json!(["header", "x_token"]), "missing".to_string()),
            (json!(["cookie", "session_id"]), "missing".to_string())
        ]
    );
}

#[tokio::test]
async fn forms_are_validated() {
    let c = client();
    let r = c
        .post("/login")
        .form(&json!({"username": "ada", "remember": "yes"}))
        .await;
    assert_eq!(r.text(), "ada Some(true)");
    let r = c
        .post("/login")
        .form(&json!({"username": "al", "remember": "perhaps"}))
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        errors(&r.json()),
        [
            (json!(["body", "remember"]), "bool_parsing".to_string()),
            (json!(["body", "username"]), "string_too_short".to_string())
        ]
    );
}

#[tokio::test]
async fn a_path_converter_still_decides_the_match() {
    // `{shop:int}` does not match `abc`: 404, not a validation error.
    assert_eq!(
        client()
            .post("/shops/abc/items?limit=1")
            .json(&json!({}))
            .await
            .status(),
        404
    );
}

mod uploads {
    use super::*;
    use trellis_http::extract::{Multipart, UploadFile};
    use trellis_http::settings::SettingsLoader;

    #[derive(Debug, Deserialize, JsonSchema)]
    struct Avatar {
        #[schemars(length(min = 2))]
        user: String,
        picture: UploadFile,
        #[serde(default)]
        extra: Vec<UploadFile>,
    }

    async fn upload(Multipart(form): Multipart<Avatar>) -> Json<Value> {
        let data = form.picture.bytes().await.unwrap();
        Json(json!({
            "user": form.user,
            "filename": form.picture.filename(),
            "content_type": form.picture.content_type(),
            "size": form.picture.size(),
            "on_disk": form.picture.path().is_some_and(|p| p.exists()),
            "first": data[0],
            "extra": form.extra.len(),
        }))
    }

    fn body(parts: &[(&str, Option<&str>, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, filename, data) in parts {
            out.extend_from_slice(b"--XBOUNDARYX\r\n");
            match filename {
                Some(f) => out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
                ),
                None => out.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
            }
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--XBOUNDARYX--\r\n");
        out
    }

    fn client(max_file: usize) -> TestClient {
        let settings = SettingsLoader::new()
            .no_file()
            .env_vars::<&str, &str>([])
            .defaults(move |s| {
                s.debug = true;
                s.upload_memory_threshold = 1024;
                s.upload_max_file_size = max_file;
            })
            .load()
            .unwrap();
        TestClient::with_settings(App::new("t").route("/avatar", post(upload)), settings)
    }

    const CT: &str = "multipart/form-data; boundary=XBOUNDARYX";

    #[tokio::test]
    async fn small_files_stay_in_memory_large_ones_go_to_disk() {
        let c = client(1_000_000);
        let small = body(&[
            ("user", None, b"ada".to_vec()),
            ("picture", Some("a.png"), vec![7; 10]),
        ]);
        let r = c
            .post("/avatar")
            .header("content-type", CT)
            .body(small)
            .await;
        assert_eq!(r.status(), 200, "{}", r.text());
        let v: Value = r.json();
        assert_eq!(
            (
                v["filename"].clone(),
                v["size"].clone(),
                v["on_disk"].clone()
            ),
            (json!("a.png"), json!(10), json!(false))
        );
        assert_eq!(v["content_type"], "image/png");

        let big = body(&[
            ("user", None, b"ada".to_vec()),
            ("picture", Some("b.png"), vec![9; 5000]),
            ("extra", Some("c.png"), vec![1; 3]),
            ("extra", Some("d.png"), vec![2; 3]),
        ]);
        let r = c.post("/avatar").header("content-type", CT).body(big).await;
        let v: Value = r.json();
        assert_eq!(
            (v["size"].clone(), v["on_disk"].clone(), v["first"].clone()),
            (json!(5000), json!(true), json!(9))
        );
        assert_eq!(v["extra"], 2);
    }

    #[tokio::test]
    async fn limits_and_validation() {
        let c = client(100);
        let too_big = body(&[
            ("user", None, b"ada".to_vec()),
            ("picture", Some("a.png"), vec![0; 101]),
        ]);
        let r = c
            .post("/avatar")
            .header("content-type", CT)
            .body(too_big)
            .await;
        assert_eq!(r.status(), 413);
        assert!(r.text().contains("a.png"), "{}", r.text());

        let invalid = body(&[("user", None, b"a".to_vec())]);
        let r = c
            .post("/avatar?x=1")
            .header("content-type", CT)
            .body(invalid)
            .await;
        assert_eq!(r.status(), 422);
        assert_eq!(
            errors(&r.json()),
            [
                (json!(["body", "picture"]), "missing".to_string()),
                (json!(["body", "user"]), "string_too_short".to_string())
            ]
        );

        let r = c
            .post("/avatar")
            .header("content-type", "application/json")
            .body("{}")
            .await;
        assert_eq!(r.status(), 415);
    }
}

mod custom_checks {
    use super::*;

    fn not_reserved(name: &str, _: &()) -> garde::Result {
        if name.eq_ignore_ascii_case("admin") {
            Err(garde::Error::new("this name is reserved"))
        } else {
            Ok(())
        }
    }

    #[derive(Debug, Deserialize, JsonSchema, garde::Validate)]
    struct Signup {
        #[garde(custom(not_reserved))]
        #[schemars(length(min = 3))]
        name: String,
        #[garde(skip)]
        start: u32,
        #[garde(skip)]
        end: u32,
    }

    async fn signup(Json(s): Json<Signup>) -> String {
        format!("{} {}-{}", s.name, s.start, s.end)
    }

    fn client() -> TestClient {
        let app = App::new("t")
            .settings(|s| s.debug = true)
            .garde::<Signup>()
            .check::<Signup>(|s| {
                let mut errors = Vec::new();
                if s.end < s.start {
                    errors.push(trellis_http::validation::CheckError {
                        path: vec!["end".into()],
                        message: "must not be before start".into(),
                    });
                }
                // `check` replaces the garde check for the same type: run garde here too.
                if let Err(report) = garde::Validate::validate(s) {
                    errors.extend(trellis_http::validation::garde_errors(&report));
                }
                errors
            })
            .route("/signup", post(signup));
        TestClient::new(app)
    }

    #[tokio::test]
    async fn custom_checks_report_located_value_errors() {
        let c = client();
        let r = c
            .post("/signup")
            .json(&json!({"name": "ada", "start": 1, "end": 2}))
            .await;
        assert_eq!(r.text(), "ada 1-2");
        let r = c
            .post("/signup")
            .json(&json!({"name": "admin", "start": 5, "end": 2}))
            .await;
        assert_eq!(r.status(), 422);
        let body: Value = r.json();
        let mut got = errors(&body);
        got.sort_by_key(|(loc, _)| loc.to_string());
        assert_eq!(
            got,
            [
                (json!(["body", "end"]), "value_error".to_string()),
                (json!(["body", "name"]), "value_error".to_string())
            ]
        );
        let name = body["detail"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["loc"][1] == "name")
            .unwrap();
        assert_eq!(name["msg"], "Value error, this name is reserved");
        assert_eq!(name["input"], "admin");
        // Schema errors come first; custom checks run on values that pass them.
        let r = c
            .post("/signup")
            .json(&json!({"name": "ad", "start": 5, "end": 2}))
            .await;
        assert_eq!(
            errors(&r.json()),
            [(json!(["body", "name"]), "string_too_short".to_string())]
        );
    }
}
