//! Named routes and `reverse()`: from a route name and parameters back to a path.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::sync::Arc;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use super::pattern::{Converter, Pattern, Segment};

/// Characters escaped in a reversed path segment (quotes and `&` too, so that a reversed
/// URL is safe inside an HTML attribute).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'\'')
    .add(b'&')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');
/// As [`SEGMENT`], but `/` stays (for `path` parameters).
pub(crate) const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'\'')
    .add(b'&')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// `reverse()` found no route for the name and parameters. The message names what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoReverseMatch {
    /// No route has this name.
    #[error("no route named `{name}`{hint}")]
    UnknownName {
        /// The name asked for.
        name: String,
        /// Close names, if any.
        hint: String,
    },
    /// A parameter of the pattern was not given.
    #[error("route `{name}` ({pattern}) needs parameter `{param}`")]
    MissingParam {
        /// The route name.
        name: String,
        /// Its pattern.
        pattern: String,
        /// The missing parameter.
        param: String,
    },
    /// A parameter the pattern does not have.
    #[error("route `{name}` ({pattern}) has no parameter `{param}`")]
    UnexpectedParam {
        /// The route name.
        name: String,
        /// Its pattern.
        pattern: String,
        /// The extra parameter.
        param: String,
    },
    /// A value its converter refuses.
    #[error(
        "route `{name}` ({pattern}): `{value}` is not a valid `{converter}` for parameter `{param}`"
    )]
    BadValue {
        /// The route name.
        name: String,
        /// Its pattern.
        pattern: String,
        /// The parameter.
        param: String,
        /// The value given.
        value: String,
        /// The converter's name.
        converter: &'static str,
    },
}

/// All named routes of an app, by qualified name (`namespace:name`).
#[derive(Debug, Clone, Default)]
pub struct UrlMap {
    routes: BTreeMap<String, Pattern>,
}

impl UrlMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a named route. Returns the previous pattern if the name was taken.
    pub fn insert(&mut self, name: impl Into<String>, pattern: Pattern) -> Option<Pattern> {
        self.routes.insert(name.into(), pattern)
    }

    /// The pattern of a named route.
    pub fn get(&self, name: &str) -> Option<&Pattern> {
        self.routes.get(name)
    }

    /// Percent-encode a path for use in a URL and an HTML attribute (`/` kept).
    pub fn encode_path(path: &str) -> String {
        utf8_percent_encode(path, PATH).to_string()
    }

    /// Every name with its pattern, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Pattern)> {
        self.routes.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Build the path of a named route.
    ///
    /// ```
    /// use trellis_http::routing::{Pattern, UrlMap};
    ///
    /// let mut urls = UrlMap::new();
    /// urls.insert("blog:post-detail", Pattern::parse("/blog/{id:int}/").unwrap());
    /// assert_eq!(urls.reverse("blog:post-detail", [("id", 42)]).unwrap(), "/blog/42/");
    /// let err = urls.reverse("blog:post-detail", [("slug", "x")]).unwrap_err();
    /// assert!(err.to_string().contains("needs parameter `id`"));
    /// ```
    pub fn reverse<K, V>(
        &self,
        name: &str,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> Result<String, NoReverseMatch>
    where
        K: AsRef<str>,
        V: Display,
    {
        let Some(pattern) = self.routes.get(name) else {
            return Err(NoReverseMatch::UnknownName {
                name: name.to_string(),
                hint: self.hint(name),
            });
        };
        let mut given: Vec<(String, String)> = params
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_string(), v.to_string()))
            .collect();
        let mut out = String::new();
        for seg in pattern.segments() {
            out.push('/');
            match seg {
                Segment::Literal(l) => out.push_str(l),
                Segment::Param {
                    name: param,
                    converter,
                } => {
                    let Some(pos) = given.iter().position(|(k, _)| k == param) else {
                        return Err(NoReverseMatch::MissingParam {
                            name: name.to_string(),
                            pattern: pattern.to_string(),
                            param: param.clone(),
                        });
                    };
                    let (_, value) = given.swap_remove(pos);
                    if !converter.accepts(&value) {
                        return Err(NoReverseMatch::BadValue {
                            name: name.to_string(),
                            pattern: pattern.to_string(),
                            param: param.clone(),
                            value,
                            converter: converter.name(),
                        });
                    }
                    let set = if *converter == Converter::Path {
                        PATH
                    } else {
                        SEGMENT
                    };
                    out.extend(utf8_percent_encode(&value, set));
                }
            }
        }
        if let Some((extra, _)) = given.into_iter().next() {
            return Err(NoReverseMatch::UnexpectedParam {
                name: name.to_string(),
                pattern: pattern.to_string(),
                param: extra,
            });
        }
        Ok(out)
    }

    fn hint(&self, name: &str) -> String {
        let tail = name.rsplit(':').next().unwrap_or(name);
        let close: Vec<&str> = self
            .routes
            .keys()
            .filter(|k| k.rsplit(':').next() == Some(tail) || k.ends_with(name))
            .map(String::as_str)
            .take(5)
            .collect();
        if close.is_empty() {
            String::new()
        } else {
            format!(" (did you mean {}?)", close.join(", "))
        }
    }
}

/// The app's [`UrlMap`], shared; an extractor in handlers.
///
/// ```
/// use trellis_http::routing::Urls;
///
/// async fn handler(urls: Urls) -> String {
///     urls.reverse("home", [("", ""); 0]).unwrap_or_default()
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Urls(pub Arc<UrlMap>);

impl std::ops::Deref for Urls {
    type Target = UrlMap;
    fn deref(&self) -> &UrlMap {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> UrlMap {
        let mut m = UrlMap::new();
        m.insert("home", Pattern::parse("/").unwrap());
        m.insert(
            "blog:post-detail",
            Pattern::parse("/blog/{id:int}/").unwrap(),
        );
        m.insert("blog:tag", Pattern::parse("/blog/tags/{tag}").unwrap());
        m.insert("files", Pattern::parse("/files/{rest:path}").unwrap());
        m.insert("item", Pattern::parse("/items/{id:uuid}").unwrap());
        m
    }

    #[test]
    fn round_trips() {
        let m = map();
        assert_eq!(m.reverse("home", [("", ""); 0]).unwrap(), "/");
        assert_eq!(
            m.reverse("blog:post-detail", [("id", 7)]).unwrap(),
            "/blog/7/"
        );
        assert_eq!(
            m.reverse("blog:tag", [("tag", "a b&c")]).unwrap(),
            "/blog/tags/a%20b%26c"
        );
        assert!(
            m.reverse("blog:tag", [("tag", "a/b")]).is_err(),
            "str refuses `/`"
        );
        assert_eq!(
            m.reverse("files", [("rest", "css/site.css")]).unwrap(),
            "/files/css/site.css"
        );
    }

    #[test]
    fn errors_name_route_and_param() {
        let m = map();
        let e = m.reverse("post-detail", [("id", 1)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no route named `post-detail` (did you mean blog:post-detail?)"
        );
        let e = m.reverse("blog:post-detail", [("", ""); 0]).unwrap_err();
        assert!(e.to_string().contains("needs parameter `id`"), "{e}");
        let e = m.reverse("blog:post-detail", [("id", "x")]).unwrap_err();
        assert!(e.to_string().contains("not a valid `int`"), "{e}");
        let e = m.reverse("home", [("page", 2)]).unwrap_err();
        assert!(e.to_string().contains("no parameter `page`"), "{e}");
        assert!(m.reverse("item", [("id", "nope")]).is_err());
    }
}
