//! The docs UIs on a real socket, for a browser: `cargo run -p trellis-openapi --example
//! docs_demo -- 8001`, then open http://127.0.0.1:8001/docs and http://127.0.0.1:8001/redoc.
//!
//! Serves [`docs_router`] with its defaults, a static OpenAPI 3.1 document with three
//! operations at `/openapi.json`, the two `GET` operations themselves (for "Try it out"),
//! and a stand-in OAuth2 authorization endpoint (implicit flow, no login: it hands out
//! `demo-token` at once) so that Swagger UI's OAuth2 redirect page can be exercised.
//! Used by the browser check `tests/browser/docs.mjs` (see `.ci/run`).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};

use serde_json::{Value, json};
use trellis_http::App;
use trellis_http::extract::raw;
use trellis_http::response::{HttpError, IntoResponse, Json, Redirect, Response};
use trellis_http::routing::get;
use trellis_http::settings::Settings;
use trellis_openapi::ui::{DocsConfig, docs_router};

fn document(origin: &str) -> Value {
    let item_ref = json!({ "$ref": "#/components/schemas/Item" });
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Docs demo",
            "version": "1.0.0",
            "description": "A sample document served with the Trellis docs UIs."
        },
        "paths": {
            "/items": {
                "get": {
                    "operationId": "listItems",
                    "summary": "List the items",
                    "tags": ["items"],
                    "parameters": [{
                        "name": "limit", "in": "query", "required": false,
                        "schema": { "type": "integer", "minimum": 1, "maximum": 100 }
                    }],
                    "responses": {
                        "200": {
                            "description": "The items",
                            "content": { "application/json": {
                                "schema": { "type": "array", "items": item_ref }
                            } }
                        }
                    }
                },
                "post": {
                    "operationId": "createItem",
                    "summary": "Create an item",
                    "tags": ["items"],
                    "security": [{ "oauth2": ["items:write"] }],
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": item_ref } }
                    },
                    "responses": {
                        "201": {
                            "description": "Created",
                            "content": { "application/json": { "schema": item_ref } }
                        },
                        "401": { "description": "Not authenticated" }
                    }
                }
            },
            "/items/{id}": {
                "get": {
                    "operationId": "getItem",
                    "summary": "Get one item",
                    "tags": ["items"],
                    "parameters": [{
                        "name": "id", "in": "path", "required": true,
                        "schema": { "type": "integer" }
                    }],
                    "responses": {
                        "200": {
                            "description": "The item",
                            "content": { "application/json": { "schema": item_ref } }
                        },
                        "404": { "description": "No such item" }
                    }
                }
            }
        },
        "components": {
            "schemas": {
                "Item": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": {
                        "id": { "type": "integer", "readOnly": true },
                        "name": { "type": "string", "examples": ["teapot"] }
                    }
                }
            },
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "flows": {
                        "implicit": {
                            "authorizationUrl": format!("{origin}/oauth/authorize"),
                            "scopes": { "items:write": "Create items" }
                        }
                    }
                }
            }
        }
    })
}

fn items() -> Vec<Value> {
    vec![
        json!({ "id": 1, "name": "teapot" }),
        json!({ "id": 2, "name": "kettle" }),
    ]
}

async fn list_items() -> Json<Vec<Value>> {
    Json(items())
}

async fn get_item(raw::Path(id): raw::Path<u64>) -> Result<Json<Value>, HttpError> {
    items()
        .into_iter()
        .find(|i| i["id"] == id)
        .map(Json)
        .ok_or_else(|| HttpError::not_found("No such item"))
}

/// The stand-in authorization endpoint of the implicit flow: no login, the token at once,
/// only to this server's own pages.
fn authorize(origin: &str, query: &HashMap<String, String>) -> Response {
    let (Some(redirect_uri), Some(state)) = (query.get("redirect_uri"), query.get("state")) else {
        return HttpError::bad_request("redirect_uri and state are required").into_response();
    };
    if !redirect_uri.starts_with(&format!("{origin}/")) || redirect_uri.contains('#') {
        return HttpError::bad_request("redirect_uri must be a page of this server")
            .into_response();
    }
    let mut resp = Redirect::to(&format!(
        "{redirect_uri}#access_token=demo-token&token_type=Bearer&expires_in=3600&state={state}"
    ))
    .into_response();
    // Like a real authorization server (another origin, no COOP of its own): the app's
    // default `Cross-Origin-Opener-Policy: same-origin` on this hop would cut the popup
    // from Swagger UI, the page that opened it.
    resp.headers_mut().insert(
        "cross-origin-opener-policy",
        http::HeaderValue::from_static("unsafe-none"),
    );
    resp
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let port: u16 = match std::env::args().nth(1).map(|p| p.parse()) {
        None => 8001,
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            eprintln!("usage: docs_demo [PORT]  ({e})");
            return std::process::ExitCode::from(2);
        }
    };
    let origin = format!("http://127.0.0.1:{port}");
    let doc = document(&origin);

    let app = App::new("docs-demo")
        .route(
            "/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc) }
            })
            .name("openapi"),
        )
        .route("/items", get(list_items).name("items"))
        .route("/items/{id:int}", get(get_item).name("item"))
        .route(
            "/oauth/authorize",
            get({
                let origin = origin.clone();
                move |raw::Query(q): raw::Query<HashMap<String, String>>| {
                    let origin = origin.clone();
                    async move { authorize(&origin, &q) }
                }
            })
            .name("authorize"),
        )
        .include(
            "",
            docs_router(&DocsConfig {
                title: "Docs demo".into(),
                ..DocsConfig::default()
            }),
        );

    let mut settings = Settings::default();
    settings.debug = true;
    let built = match app.build_with(settings) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("docs_demo: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("docs demo: {origin}/docs and {origin}/redoc (Ctrl-C to stop)");
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    match trellis_http::server::serve(built, addr).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("docs_demo: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
