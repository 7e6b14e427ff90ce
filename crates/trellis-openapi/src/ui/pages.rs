//! The HTML of the docs pages.
//!
//! Every URL in a page is relative to the page itself (`./docs/assets/...`), so the pages
//! also work when the docs router is included under a prefix. The configuration the
//! scripts need is embedded as JSON (`<script type="application/json">`), read by our
//! small init scripts: no inline script.

use super::assets::{self, Asset};

/// HTML-escape text for element content and quoted attribute values.
pub(crate) use trellis_http::response::escape_html;

/// JSON to embed in `<script type="application/json">`: `<`, `>` and `&` escaped so the
/// text can never close the element (`</script>`) or open a comment.
pub(crate) fn embedded_json(value: &serde_json::Value) -> String {
    let json = value.to_string();
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            _ => out.push(c),
        }
    }
    out
}

/// `target` (an absolute path) as a URL relative to the page served at `page`: both are
/// paths of the same router, so the result stays right under any include prefix. Starts
/// with `./` so that a `:` in the path is never read as a URL scheme.
pub(crate) fn relative(page: &str, target: &str) -> String {
    if !page.starts_with('/') {
        return target.to_string();
    }
    let dir = &page[..=page.rfind('/').unwrap_or(0)];
    match target.strip_prefix(dir) {
        Some(rest) => format!("./{rest}"),
        None => target.to_string(),
    }
}

/// The path under which a page's assets are served: `{page}/assets`.
pub(crate) fn assets_base(page: &str) -> String {
    format!("{}/assets", page.trim_end_matches('/'))
}

/// The URL, relative to `page`, of one of its assets, with its content tag.
fn asset_url(page: &str, assets: &'static [Asset], name: &str) -> String {
    let tag = assets::find(assets, name).map_or("", Asset::tag);
    escape_html(&relative(
        page,
        &format!("{}/{name}?v={tag}", assets_base(page)),
    ))
}

const HEAD: &str = "<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<link rel=\"icon\" href=\"data:,\">\n";

/// The Swagger UI page served at `page`.
pub(crate) fn swagger_page(
    page: &str,
    oauth2_redirect: &str,
    openapi_url: &str,
    title: &str,
) -> String {
    let assets = &assets::SWAGGER_ASSETS;
    let config = serde_json::json!({
        "url": openapi_url,
        "oauth2RedirectUrl": relative(page, oauth2_redirect),
    });
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n{HEAD}<title>{title}</title>\n\
         <link rel=\"stylesheet\" href=\"{css}\">\n</head>\n<body>\n\
         <div id=\"swagger-ui\"></div>\n\
         <script id=\"trellis-docs-config\" type=\"application/json\">{config}</script>\n\
         <script src=\"{bundle}\"></script>\n\
         <script src=\"{init}\"></script>\n\
         </body>\n</html>\n",
        title = escape_html(title),
        css = asset_url(page, assets, assets::SWAGGER_CSS),
        config = embedded_json(&config),
        bundle = asset_url(page, assets, assets::SWAGGER_BUNDLE),
        init = asset_url(page, assets, assets::SWAGGER_INIT),
    )
}

/// The page the authorization server redirects to after an OAuth2 login started from
/// Swagger UI (served at `page`, under the Swagger UI page `swagger_page`): Swagger UI's
/// own `oauth2-redirect.js` hands the result to the opener window and closes.
pub(crate) fn oauth2_redirect_page(page: &str, swagger_page: &str, title: &str) -> String {
    let script = format!(
        "{}/{}?v={}",
        assets_base(swagger_page),
        assets::OAUTH2_REDIRECT,
        assets::find(&assets::SWAGGER_ASSETS, assets::OAUTH2_REDIRECT).map_or("", Asset::tag)
    );
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n{HEAD}<title>{title}: OAuth2 redirect</title>\n\
         </head>\n<body>\n<script src=\"{script}\"></script>\n</body>\n</html>\n",
        title = escape_html(title),
        script = escape_html(&relative(page, &script)),
    )
}

/// The ReDoc page served at `page`.
pub(crate) fn redoc_page(page: &str, openapi_url: &str, title: &str) -> String {
    let assets = &assets::REDOC_ASSETS;
    let config = serde_json::json!({ "url": openapi_url });
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n{HEAD}<title>{title}</title>\n\
         <style>body {{ margin: 0; padding: 0; }}</style>\n</head>\n<body>\n\
         <div id=\"redoc\"></div>\n\
         <script id=\"trellis-docs-config\" type=\"application/json\">{config}</script>\n\
         <script src=\"{bundle}\"></script>\n\
         <script src=\"{init}\"></script>\n\
         </body>\n</html>\n",
        title = escape_html(title),
        config = embedded_json(&config),
        bundle = asset_url(page, assets, assets::REDOC_BUNDLE),
        init = asset_url(page, assets, assets::REDOC_INIT),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_urls_resolve_from_the_page() {
        assert_eq!(relative("/docs", "/docs/assets/a.js"), "./docs/assets/a.js");
        assert_eq!(relative("/docs/", "/docs/assets/a.js"), "./assets/a.js");
        assert_eq!(relative("/", "/assets/a.js"), "./assets/a.js");
        assert_eq!(
            relative("/api/v1/docs", "/api/v1/docs/oauth2-redirect"),
            "./docs/oauth2-redirect"
        );
        assert_eq!(
            relative("/docs/oauth2-redirect", "/docs/assets/o.js"),
            "./assets/o.js"
        );
        assert_eq!(relative("/a:b", "/a:b/assets/x"), "./a:b/assets/x");
        assert_eq!(relative("docs", "/docs/assets/x"), "/docs/assets/x");
    }

    #[test]
    fn assets_live_under_the_page() {
        assert_eq!(assets_base("/docs"), "/docs/assets");
        assert_eq!(assets_base("/docs/"), "/docs/assets");
        assert_eq!(assets_base("/"), "/assets");
    }

    #[test]
    fn embedded_json_cannot_close_the_script() {
        let v = serde_json::json!({ "url": "</script><!-- & -->" });
        let out = embedded_json(&v);
        assert!(!out.contains('<') && !out.contains('>') && !out.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn title_is_escaped() {
        let page = redoc_page("/redoc", "/openapi.json", "<b>\"A&B\"</b>");
        assert!(page.contains("<title>&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;</title>"));
    }
}
