//! The generated document: parameters, bodies, components, security, hidden routes, and a
//! custom validation error answer followed by the document, and summaries and descriptions
//! from handler doc comments.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trellis_http::deps::{Declare, Dep, Dependency, Resolver, SecurityScheme};
use trellis_http::extract::{Header, Json, Path, Query};
use trellis_http::response::HttpError;
use trellis_http::routing::{Router, get, post};
use trellis_http::testing::TestClient;
use trellis_http::validation::ValidationResponse;
use trellis_http::{App, AppConfig, StatusCode};
use trellis_openapi::{OpenApi, OpenApiConfig};

#[derive(Deserialize, Serialize, JsonSchema)]
struct Tag {
    label: String,
}

#[derive(Deserialize, Serialize, JsonSchema)]
struct Item {
    #[schemars(length(max = 10))]
    name: String,
    tags: Vec<Tag>,
}

#[derive(Deserialize, JsonSchema)]
struct Paging {
    #[schemars(range(min = 1))]
    limit: Option<u32>,
}

#[derive(Deserialize, JsonSchema)]
struct Auth {
    x_token: String,
}

#[derive(Clone)]
struct Key;

impl Dependency for Key {
    fn declare(d: &mut Declare) {
        d.security(SecurityScheme::api_key_header("apiKey", "x-api-key"));
    }
    async fn resolve(_: &mut Resolver<'_>) -> Result<Self, HttpError> {
        Ok(Key)
    }
}

async fn list(Query(p): Query<Paging>, Header(h): Header<Auth>) -> String {
    format!("{:?} {}", p.limit, h.x_token)
}
async fn create(Dep(_k): Dep<Key>, Path(_shop): Path<u32>, Json(item): Json<Item>) -> Json<Item> {
    Json(item)
}
async fn secret() -> &'static str {
    "hidden"
}

fn app() -> App {
    let api = AppConfig::new("shop").mount("/api").routes(
        Router::api()
            .route(
                "/items",
                get(list)
                    .summary("List items")
                    .description("Paged, **filtered**.")
                    .tag("catalogue")
                    .deprecated()
                    .name("items"),
            )
            .route(
                "/shops/{shop:int}/items",
                post(create)
                    .response::<Item>(200, "The item")
                    .name("create-item"),
            )
            .route("/secret", get(secret).name("secret").hidden()),
    );
    App::new("t")
        .settings(|s| s.debug = true)
        .install(api)
        .install(trellis_openapi::app(OpenApiConfig {
            title: "Shop".into(),
            ..Default::default()
        }))
}

fn doc(client: &TestClient) -> Value {
    (*client.state().get::<OpenApi>().unwrap().document).clone()
}

#[test]
fn operations_parameters_bodies_and_components() {
    let d = doc(&TestClient::new(app()));
    assert_eq!(d["openapi"], "3.1.0");
    assert_eq!(d["info"]["title"], "Shop");
    let list = &d["paths"]["/api/items"]["get"];
    assert_eq!(list["operationId"], "shop_items_get");
    assert_eq!(list["tags"], json!(["catalogue"]));
    assert_eq!(list["summary"], "List items");
    assert_eq!(list["description"], "Paged, **filtered**.");
    assert_eq!(list["deprecated"], true);
    assert_eq!(
        d["paths"]["/api/shops/{shop}/items"]["post"]["tags"],
        json!(["shop"])
    );
    let params: Vec<(Value, Value, Value)> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].clone(), p["in"].clone(), p["required"].clone()))
        .collect();
    assert_eq!(
        params,
        [
            (json!("limit"), json!("query"), json!(false)),
            (json!("x-token"), json!("header"), json!(true))
        ]
    );
    assert_eq!(
        list["responses"]["422"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/HTTPValidationError"
    );

    let create = &d["paths"]["/api/shops/{shop}/items"]["post"];
    assert_eq!(create["parameters"][0]["name"], "shop");
    assert_eq!(create["parameters"][0]["in"], "path");
    assert_eq!(
        create["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Item"
    );
    assert_eq!(create["responses"]["200"]["description"], "The item");
    assert_eq!(create["security"], json!([{"apiKey": []}]));
    assert_eq!(
        d["components"]["securitySchemes"]["apiKey"],
        json!({"type": "apiKey", "in": "header", "name": "x-api-key"})
    );
    // Nested types become components referenced from their users.
    assert_eq!(
        d["components"]["schemas"]["Item"]["properties"]["tags"]["items"]["$ref"],
        "#/components/schemas/Tag"
    );
    assert!(d["components"]["schemas"]["Tag"].is_object());
    assert!(
        d["paths"].get("/api/secret").is_none(),
        "hidden routes are left out"
    );
    assert!(d["paths"].get("/openapi.json").is_none());
}

#[tokio::test]
async fn served_in_debug_only_by_default() {
    let r = TestClient::new(app()).get("/openapi.json").await;
    assert_eq!(r.status(), 200);
    let app = app().settings(|s| {
        s.debug = false;
        s.secret_key = Some("k8#Jd93!mQz0Lw7@xP2vR5tY1uN6bC4eF8gH0iJ3kM9oS2aD7q".into());
    });
    let r = TestClient::new(app).get("/openapi.json").await;
    assert_eq!(r.status(), 404);
}

#[derive(Serialize, JsonSchema)]
struct MyErrors {
    errors: Vec<String>,
}

#[tokio::test]
async fn a_custom_validation_answer_is_followed_by_the_document() {
    fn schema() -> Value {
        schemars::schema_for!(MyErrors).to_value()
    }
    let app = app().validation_errors(ValidationResponse::custom(
        StatusCode::BAD_REQUEST,
        |errors| json!({ "errors": errors.iter().map(|e| e.msg.clone()).collect::<Vec<_>>() }),
        Some(schema),
    ));
    let client = TestClient::new(app);
    let r = client
        .get("/api/items?limit=0")
        .header("x-token", "t")
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>(),
        json!({"errors": ["Input should be greater than or equal to 1"]})
    );
    let d = doc(&client);
    let list = &d["paths"]["/api/items"]["get"]["responses"];
    assert!(list.get("422").is_none());
    assert_eq!(
        list["400"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/MyErrors"
    );
    assert!(
        d["components"]["schemas"]
            .get("HTTPValidationError")
            .is_none()
    );
}

#[tokio::test]
async fn docs_pages_follow_the_switch() {
    let client = TestClient::new(app());
    assert_eq!(client.get("/docs").await.status(), 200);
    assert_eq!(client.get("/redoc").await.status(), 200);
    let prod = app().settings(|s| {
        s.debug = false;
        s.secret_key = Some("k8#Jd93!mQz0Lw7@xP2vR5tY1uN6bC4eF8gH0iJ3kM9oS2aD7q".into());
    });
    let client = TestClient::new(prod);
    assert_eq!(client.get("/docs").await.status(), 404);
    assert_eq!(client.get("/redoc").await.status(), 404);
}

/// Show one tag.
///
/// Tags are **labels**; this answers the first one.
///
/// - unknown tags answer 404
#[trellis_http::handler]
async fn show_tag() -> &'static str {
    "tag"
}

/// Remove every tag.
#[trellis_http::handler]
#[deprecated = "tags are kept forever"]
async fn clear_tags() -> &'static str {
    ""
}

async fn count_tags() -> &'static str {
    "0"
}

#[test]
#[allow(deprecated)]
fn summary_and_description_from_handler_doc_comments() {
    let api = AppConfig::new("tags").mount("/api").routes(
        Router::api()
            .route(
                "/tags/first",
                get(show_tag).delete(clear_tags).name("first-tag"),
            )
            .route(
                "/tags/one",
                get(show_tag).summary("The first tag").name("one-tag"),
            )
            .route("/tags/count", get(count_tags).name("tag-count")),
    );
    let app = App::new("t")
        .settings(|s| s.debug = true)
        .install(api)
        .install(trellis_openapi::app(OpenApiConfig::default()));
    let d = doc(&TestClient::new(app));
    let first = &d["paths"]["/api/tags/first"];
    assert_eq!(first["get"]["summary"], "Show one tag");
    assert_eq!(
        first["get"]["description"],
        "Tags are **labels**; this answers the first one.\n\n- unknown tags answer 404"
    );
    assert!(first["get"].get("deprecated").is_none());
    assert_eq!(first["delete"]["summary"], "Remove every tag");
    assert!(first["delete"].get("description").is_none());
    assert_eq!(first["delete"]["deprecated"], true);
    // Explicit `.summary()` wins; the doc comment still gives the description.
    let one = &d["paths"]["/api/tags/one"]["get"];
    assert_eq!(one["summary"], "The first tag");
    assert_eq!(
        one["description"],
        "Tags are **labels**; this answers the first one.\n\n- unknown tags answer 404"
    );
    // Not a `#[handler]`: the summary made from the route name, no description.
    let count = &d["paths"]["/api/tags/count"]["get"];
    assert_eq!(count["summary"], "Tag Count");
    assert!(count.get("description").is_none());
}
