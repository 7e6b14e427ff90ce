//! The files the docs pages load, compiled into the crate.
//!
//! The third-party ones are vendored unmodified from npm (see `THIRD-PARTY-NOTICES.md`);
//! the `trellis-*-init.js` scripts are ours: they read the page's JSON configuration and
//! start the UI, so the pages need no inline script.

use std::sync::OnceLock;

/// The version of the npm package `swagger-ui-dist` whose files are served.
pub const SWAGGER_UI_VERSION: &str = "5.35.0";

/// The version of the npm package `redoc` whose standalone bundle is served.
pub const REDOC_VERSION: &str = "2.5.4";

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// One file served under `{page}/assets/{name}`.
pub(crate) struct Asset {
    pub(crate) name: &'static str,
    pub(crate) bytes: &'static [u8],
    pub(crate) content_type: &'static str,
    tag: OnceLock<String>,
}

impl Asset {
    const fn new(name: &'static str, bytes: &'static [u8], content_type: &'static str) -> Self {
        Asset {
            name,
            bytes,
            content_type,
            tag: OnceLock::new(),
        }
    }

    /// A short hash of the content, put in the URL (`?v=`) so the long cache lifetime is
    /// safe across upgrades. Computed once per process.
    pub(crate) fn tag(&self) -> &str {
        self.tag
            .get_or_init(|| format!("{:016x}", fnv1a(self.bytes)))
    }
}

/// 64-bit FNV-1a: enough to tell two versions of a file apart.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

pub(crate) const SWAGGER_CSS: &str = "swagger-ui.css";
pub(crate) const SWAGGER_BUNDLE: &str = "swagger-ui-bundle.js";
pub(crate) const SWAGGER_INIT: &str = "trellis-swagger-init.js";
pub(crate) const OAUTH2_REDIRECT: &str = "oauth2-redirect.js";
pub(crate) const REDOC_BUNDLE: &str = "redoc.standalone.js";
pub(crate) const REDOC_INIT: &str = "trellis-redoc-init.js";

/// Served under the Swagger UI page.
pub(crate) static SWAGGER_ASSETS: [Asset; 4] = [
    Asset::new(
        SWAGGER_CSS,
        include_bytes!("../../assets/swagger-ui/swagger-ui.css"),
        CSS,
    ),
    Asset::new(
        SWAGGER_BUNDLE,
        include_bytes!("../../assets/swagger-ui/swagger-ui-bundle.js"),
        JS,
    ),
    Asset::new(
        OAUTH2_REDIRECT,
        include_bytes!("../../assets/swagger-ui/oauth2-redirect.js"),
        JS,
    ),
    Asset::new(SWAGGER_INIT, include_bytes!("swagger-init.js"), JS),
];

/// Served under the ReDoc page.
pub(crate) static REDOC_ASSETS: [Asset; 2] = [
    Asset::new(
        REDOC_BUNDLE,
        include_bytes!("../../assets/redoc/redoc.standalone.js"),
        JS,
    ),
    Asset::new(REDOC_INIT, include_bytes!("redoc-init.js"), JS),
];

/// The asset of this name, if any.
pub(crate) fn find(assets: &'static [Asset], name: &str) -> Option<&'static Asset> {
    assets.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_found_and_tags_differ() {
        for a in SWAGGER_ASSETS.iter().chain(&REDOC_ASSETS) {
            assert!(!a.bytes.is_empty(), "{} is empty", a.name);
        }
        assert!(find(&SWAGGER_ASSETS, SWAGGER_BUNDLE).is_some());
        assert!(find(&SWAGGER_ASSETS, REDOC_BUNDLE).is_none());
        assert!(find(&REDOC_ASSETS, "../Cargo.toml").is_none());
        assert_ne!(SWAGGER_ASSETS[0].tag(), SWAGGER_ASSETS[1].tag());
        assert_eq!(SWAGGER_ASSETS[0].tag().len(), 16);
    }

    #[test]
    fn vendored_versions_match_the_constants() {
        let contains =
            |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(
            contains(
                REDOC_ASSETS[0].bytes,
                &format!("ReDoc Version: \",\"{REDOC_VERSION}\"")
            ),
            "the vendored ReDoc is not {REDOC_VERSION}"
        );
        assert!(
            contains(
                SWAGGER_ASSETS[1].bytes,
                &format!("PACKAGE_VERSION:\"{SWAGGER_UI_VERSION}\"")
            ),
            "the vendored Swagger UI is not {SWAGGER_UI_VERSION}"
        );
        let notices = include_str!("../../THIRD-PARTY-NOTICES.md");
        assert!(notices.contains(&format!("| {SWAGGER_UI_VERSION} | Apache-2.0 |")));
        assert!(notices.contains(&format!("| {REDOC_VERSION} | MIT |")));
    }
}
