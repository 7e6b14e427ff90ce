//! The docs UIs (Swagger UI, ReDoc), served by the app itself with no network access.
//!
//! [`docs_router`] answers the pages and every file they load: the JavaScript and CSS of
//! Swagger UI ([`SWAGGER_UI_VERSION`]) and ReDoc ([`REDOC_VERSION`]) are vendored from
//! their npm packages and compiled into the crate, so the pages render with no CDN and no
//! internet (licences in the crate's `THIRD-PARTY-NOTICES.md`).
//!
//! | route (default path) | name | answers |
//! |---|---|---|
//! | `/docs` | `swagger-ui` | the Swagger UI page |
//! | `/docs/oauth2-redirect` | `swagger-ui-oauth2-redirect` | the OAuth2 redirect page of Swagger UI |
//! | `/docs/assets/{file}` | `swagger-ui-assets` | its CSS and JavaScript |
//! | `/redoc` | `redoc` | the ReDoc page |
//! | `/redoc/assets/{file}` | `redoc-assets` | its JavaScript |
//!
//! The pages load the document from [`DocsConfig::openapi_url`]; this router does not serve
//! it.

mod assets;
mod pages;

pub use assets::{REDOC_VERSION, SWAGGER_UI_VERSION};

use http::{HeaderName, HeaderValue, StatusCode, header};
use trellis_http::extract::{Bytes, raw};
use trellis_http::response::{Html, HttpError, IntoResponse, Response};
use trellis_http::routing::{MethodRoute, Router, get};

use assets::Asset;

/// Where the docs pages are served and what they show.
///
/// ```
/// use trellis_openapi::ui::DocsConfig;
///
/// // Swagger UI at `/api-docs`, no ReDoc, the document at `/api/openapi.json`.
/// let config = DocsConfig {
///     openapi_url: "/api/openapi.json".into(),
///     swagger_path: Some("/api-docs".into()),
///     redoc_path: None,
///     title: "Shop API".into(),
/// };
/// assert_eq!(DocsConfig::default().swagger_path.as_deref(), Some("/docs"));
/// # let _ = config;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocsConfig {
    /// The URL the pages load the OpenAPI document from, as the browser should fetch it: a
    /// path (`/openapi.json`, the default), a URL relative to the page, or an absolute URL.
    pub openapi_url: String,
    /// The route path of the Swagger UI page (default `/docs`); its OAuth2 redirect page is
    /// `{swagger_path}/oauth2-redirect` and its files `{swagger_path}/assets/...`. `None`:
    /// no Swagger UI.
    pub swagger_path: Option<String>,
    /// The route path of the ReDoc page (default `/redoc`); its files are served under
    /// `{redoc_path}/assets/...`. `None`: no ReDoc.
    pub redoc_path: Option<String>,
    /// The title of the pages (the `<title>` of the HTML; the UIs show the document's own
    /// `info.title`). Default `API`.
    pub title: String,
}

impl Default for DocsConfig {
    fn default() -> Self {
        DocsConfig {
            openapi_url: "/openapi.json".into(),
            swagger_path: Some("/docs".into()),
            redoc_path: Some("/redoc".into()),
            title: "API".into(),
        }
    }
}

/// `Cache-Control` of the assets: their URLs carry a hash of their content (`?v=`), so a
/// browser may keep them for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The router of the docs pages: Swagger UI at [`DocsConfig::swagger_path`] (with its OAuth2
/// redirect page) and ReDoc at [`DocsConfig::redoc_path`], each with its assets, all
/// compiled into the binary. Include it in the app (`App::include("", ...)`) or in any
/// router, under any prefix: the pages only use URLs relative to themselves (besides
/// [`DocsConfig::openapi_url`], used as given).
///
/// Paths start with `/`; the two pages need different paths (a clash is refused at
/// start-up, as for any two routes).
///
/// ```
/// use trellis_http::App;
/// use trellis_http::routing::get;
/// use trellis_http::testing::TestClient;
/// use trellis_openapi::ui::{DocsConfig, docs_router};
///
/// async fn openapi() -> &'static str {
///     r#"{"openapi": "3.1.0", "info": {"title": "Shop", "version": "1"}, "paths": {}}"#
/// }
///
/// let app = App::new("shop")
///     .route("/openapi.json", get(openapi))
///     .include("", docs_router(&DocsConfig { title: "Shop API".into(), ..DocsConfig::default() }));
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let client = TestClient::new(app);
/// let page = client.get("/docs").await;
/// assert_eq!(page.status(), 200);
/// assert!(page.text().contains("<title>Shop API</title>"));
/// assert_eq!(client.get("/redoc").await.status(), 200);
/// # });
/// ```
pub fn docs_router(config: &DocsConfig) -> Router {
    let mut router = Router::new();
    if let Some(page) = &config.swagger_path {
        let base = page.trim_end_matches('/');
        let redirect = format!("{base}/oauth2-redirect");
        let html = pages::swagger_page(page, &redirect, &config.openapi_url, &config.title);
        let redirect_html = pages::oauth2_redirect_page(&redirect, page, &config.title);
        router = router
            .route(
                page,
                html_route(
                    html,
                    &[
                        ("cache-control", "no-cache"),
                        // The OAuth2 login runs in a popup that must keep its opener.
                        (CROSS_ORIGIN_OPENER_POLICY, "same-origin-allow-popups"),
                    ],
                )
                .name("swagger-ui"),
            )
            .route(
                &redirect,
                html_route(
                    redirect_html,
                    &[
                        ("cache-control", "no-store"),
                        // Opened by Swagger UI in a popup; talks to `window.opener`.
                        (CROSS_ORIGIN_OPENER_POLICY, "unsafe-none"),
                        // Its URL carries the authorization code or token.
                        ("referrer-policy", "no-referrer"),
                    ],
                )
                .name("swagger-ui-oauth2-redirect"),
            )
            .route(
                &format!("{}/{{file}}", pages::assets_base(page)),
                asset_route(&assets::SWAGGER_ASSETS).name("swagger-ui-assets"),
            );
    }
    if let Some(page) = &config.redoc_path {
        let html = pages::redoc_page(page, &config.openapi_url, &config.title);
        router = router
            .route(
                page,
                html_route(html, &[("cache-control", "no-cache")]).name("redoc"),
            )
            .route(
                &format!("{}/{{file}}", pages::assets_base(page)),
                asset_route(&assets::REDOC_ASSETS).name("redoc-assets"),
            );
    }
    router
}

const CROSS_ORIGIN_OPENER_POLICY: &str = "cross-origin-opener-policy";

/// A GET route answering this page with these headers (set before the app's defaults,
/// which do not replace them).
fn html_route(html: String, headers: &[(&'static str, &'static str)]) -> MethodRoute {
    let body = Bytes::from(html);
    let headers: Vec<(HeaderName, HeaderValue)> = headers
        .iter()
        .map(|&(n, v)| (HeaderName::from_static(n), HeaderValue::from_static(v)))
        .collect();
    get(move || {
        let body = body.clone();
        let headers = headers.clone();
        async move {
            let mut resp = Html(body).into_response();
            resp.headers_mut().extend(headers);
            resp
        }
    })
}

/// A GET route `.../{file}` answering the asset of that name, or 404.
fn asset_route(assets: &'static [Asset]) -> MethodRoute {
    get(move |raw::Path(file): raw::Path<String>| async move { serve_asset(assets, &file) })
}

fn serve_asset(assets: &'static [Asset], file: &str) -> Response {
    match assets::find(assets, file) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, IMMUTABLE),
            ],
            asset.bytes,
        )
            .into_response(),
        None => HttpError::new(StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}
