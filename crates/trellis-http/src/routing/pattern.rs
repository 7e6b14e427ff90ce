//! Route patterns with typed parameters: `/posts/{id:int}/{slug:slug}`, `/files/{rest:path}`.

use std::fmt;

/// A path converter, as in Django's `<int:id>`: what a parameter segment may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Converter {
    /// One or more ASCII digits.
    Int,
    /// Any non-empty text without `/` (the default).
    Str,
    /// Letters, digits, `-` and `_`.
    Slug,
    /// A hyphenated UUID.
    Uuid,
    /// The rest of the path, `/` included (must be the last segment).
    Path,
}

impl Converter {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "int" => Converter::Int,
            "str" => Converter::Str,
            "slug" => Converter::Slug,
            "uuid" => Converter::Uuid,
            "path" => Converter::Path,
            _ => return None,
        })
    }

    /// The converter's name as written in patterns.
    pub fn name(self) -> &'static str {
        match self {
            Converter::Int => "int",
            Converter::Str => "str",
            Converter::Slug => "slug",
            Converter::Uuid => "uuid",
            Converter::Path => "path",
        }
    }

    /// Whether a (percent-decoded) value is accepted.
    pub fn accepts(self, value: &str) -> bool {
        match self {
            Converter::Int => !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()),
            Converter::Str => !value.is_empty() && !value.contains('/'),
            Converter::Slug => {
                !value.is_empty()
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            }
            Converter::Uuid => is_uuid(value),
            Converter::Path => !value.is_empty(),
        }
    }
}

fn is_uuid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Literal text (may be empty for the trailing slash of `/about/`).
    Literal(String),
    /// A typed parameter.
    Param {
        /// Parameter name.
        name: String,
        /// Its converter.
        converter: Converter,
    },
}

/// A parsed route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    raw: String,
    segments: Vec<Segment>,
}

/// A pattern that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad route pattern `{pattern}`: {message}")]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// What is wrong.
    pub message: String,
}

impl Pattern {
    /// Parse a pattern such as `/posts/{id:int}/`.
    pub fn parse(raw: &str) -> Result<Self, PatternError> {
        let err = |message: String| PatternError {
            pattern: raw.to_string(),
            message,
        };
        if !raw.starts_with('/') {
            return Err(err("must start with `/`".into()));
        }
        let parts: Vec<&str> = raw[1..].split('/').collect();
        let mut segments = Vec::with_capacity(parts.len());
        let mut names: Vec<String> = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                let (name, conv) = match inner.split_once(':') {
                    Some((n, c)) => (
                        n,
                        Converter::parse(c).ok_or_else(|| {
                            err(format!(
                                "unknown converter `{c}` (use int, str, slug, uuid or path)"
                            ))
                        })?,
                    ),
                    None => (inner, Converter::Str),
                };
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                {
                    return Err(err(format!("bad parameter name `{name}`")));
                }
                if names.iter().any(|n| n == name) {
                    return Err(err(format!("parameter `{name}` appears twice")));
                }
                if conv == Converter::Path && i + 1 != parts.len() {
                    return Err(err(format!("`{{{name}:path}}` must be the last segment")));
                }
                names.push(name.to_string());
                segments.push(Segment::Param {
                    name: name.to_string(),
                    converter: conv,
                });
            } else if part.contains('{') || part.contains('}') {
                return Err(err(format!(
                    "segment `{part}` mixes text and a parameter; give the parameter its own segment"
                )));
            } else {
                segments.push(Segment::Literal((*part).to_string()));
            }
        }
        Ok(Pattern {
            raw: raw.to_string(),
            segments,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Its segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The typed parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = (&str, Converter)> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Param { name, converter } => Some((name.as_str(), *converter)),
            Segment::Literal(_) => None,
        })
    }

    /// Whether any parameter is more specific than `str`/`path`.
    pub fn has_typed_params(&self) -> bool {
        self.params()
            .any(|(_, c)| !matches!(c, Converter::Str | Converter::Path))
    }

    /// The same pattern in axum/matchit syntax: `/posts/{id}`, `/files/{*rest}`.
    pub fn to_router_path(&self) -> String {
        let mut out = String::new();
        for seg in &self.segments {
            out.push('/');
            match seg {
                Segment::Literal(l) => out.push_str(l),
                Segment::Param {
                    name,
                    converter: Converter::Path,
                } => {
                    out.push_str("{*");
                    out.push_str(name);
                    out.push('}');
                }
                Segment::Param { name, .. } => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            }
        }
        out
    }

    /// Join a mount prefix (`/blog`) and this pattern.
    pub fn prefixed(&self, prefix: &str) -> Pattern {
        let prefix = prefix.trim_end_matches('/');
        let raw = if prefix.is_empty() {
            self.raw.clone()
        } else {
            format!("{prefix}{}", self.raw)
        };
        let mut segments: Vec<Segment> = prefix
            .split('/')
            .skip(1)
            .map(|s| Segment::Literal(s.to_string()))
            .collect();
        if prefix.is_empty() {
            segments.clear();
        }
        // `/blog` + `/` is `/blog/`: the root's empty literal becomes the trailing slash.
        segments.extend(self.segments.iter().cloned());
        Pattern { raw, segments }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_typed_params() {
        let p = Pattern::parse("/posts/{id:int}/{slug:slug}/").unwrap();
        assert_eq!(p.to_router_path(), "/posts/{id}/{slug}/");
        assert_eq!(
            p.params().collect::<Vec<_>>(),
            [("id", Converter::Int), ("slug", Converter::Slug)]
        );
        assert!(p.has_typed_params());
    }

    #[test]
    fn path_converter_is_catch_all() {
        let p = Pattern::parse("/files/{rest:path}").unwrap();
        assert_eq!(p.to_router_path(), "/files/{*rest}");
        assert!(Pattern::parse("/files/{rest:path}/x").is_err());
    }

    #[test]
    fn errors_name_the_problem() {
        let e = Pattern::parse("/x/{id:float}").unwrap_err();
        assert!(e.to_string().contains("float"));
        assert!(Pattern::parse("x").is_err());
        assert!(Pattern::parse("/a{b}").is_err());
        assert!(Pattern::parse("/{a}/{a}").is_err());
    }

    #[test]
    fn converters() {
        assert!(
            Converter::Int.accepts("42")
                && !Converter::Int.accepts("4x")
                && !Converter::Int.accepts("")
        );
        assert!(Converter::Slug.accepts("hello-world_2") && !Converter::Slug.accepts("héllo"));
        assert!(Converter::Uuid.accepts("67e55044-10b1-426f-9247-bb680e5fe0c8"));
        assert!(!Converter::Uuid.accepts("67e55044"));
        assert!(Converter::Path.accepts("a/b/c") && !Converter::Str.accepts("a/b"));
    }

    #[test]
    fn prefixing() {
        let p = Pattern::parse("/").unwrap().prefixed("/blog");
        assert_eq!(p.as_str(), "/blog/");
        assert_eq!(p.to_router_path(), "/blog/");
        let p = Pattern::parse("/{id:int}").unwrap().prefixed("/blog/");
        assert_eq!(p.as_str(), "/blog/{id:int}");
        assert_eq!(p.to_router_path(), "/blog/{id}");
    }
}
