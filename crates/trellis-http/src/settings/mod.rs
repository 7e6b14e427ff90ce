//! Typed settings: defaults < `trellis.toml` < environment (`TRELLIS_<KEY>`, `DATABASE_URL`).
//!
//! Every key is known in advance: an unknown key in the file or the environment, or a
//! value of the wrong type, is a start-up error that names the key.
//!
//! ```
//! use trellis_http::settings::{Settings, SettingsLoader};
//!
//! let settings = SettingsLoader::new()
//!     .defaults(|s| s.debug = true)
//!     .env_vars([("TRELLIS_ALLOWED_HOSTS", "example.com,localhost")])
//!     .no_file()
//!     .load()
//!     .unwrap();
//! assert_eq!(settings.allowed_hosts, vec!["example.com", "localhost"]);
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What the dispatcher does when a path misses only by its trailing slash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrailingSlash {
    /// Redirect `/about` to `/about/` when only the latter exists (Django's `APPEND_SLASH`).
    Append,
    /// Redirect `/about/` to `/about` when only the latter exists.
    Strip,
    /// Never redirect: the path must match exactly.
    Strict,
}

/// The project's settings. Build with [`SettingsLoader`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct Settings {
    /// Debug mode: detailed error pages, static files served, allowed hosts not checked.
    pub debug: bool,
    /// The secret used to sign cookies and tokens. Required when `debug` is off.
    pub secret_key: Option<String>,
    /// Host names this site answers to (`example.com`, `.example.com` for subdomains, `*`).
    pub allowed_hosts: Vec<String>,
    /// Address `runserver` binds when none is given.
    pub bind: String,
    /// Database URL (`DATABASE_URL` in the environment).
    pub database_url: Option<String>,
    /// Most connections the database pool opens.
    pub database_max_connections: u32,
    /// Ping a pooled database connection before reusing it (Django's
    /// `CONN_HEALTH_CHECKS`); off by default, which saves a round trip per query.
    pub database_health_checks: bool,
    /// Largest accepted request body in bytes (default 2.5 MiB); larger bodies get 413.
    pub body_limit: usize,
    /// Uploaded files larger than this (bytes) are spilled from memory to a temporary file.
    pub upload_memory_threshold: usize,
    /// Largest accepted uploaded file in bytes (413 above); the whole request stays under
    /// `body_limit`.
    pub upload_max_file_size: usize,
    /// Seconds a request may take before it is answered with 408 (0 disables).
    pub request_timeout_secs: u64,
    /// Seconds in-flight requests get to finish after SIGINT/SIGTERM.
    pub drain_timeout_secs: u64,
    /// Most blocking handlers running at once on the blocking pool.
    pub blocking_threads: usize,
    /// Turn the default middleware stack on (the default) or off.
    pub default_middleware: bool,
    /// Log one line per request (method, path, status, latency). Unset: on in debug only,
    /// as Django's `runserver` and gunicorn's defaults do; the log costs throughput.
    pub access_log: Option<bool>,
    /// Compress responses of 200 bytes or more when the client accepts gzip.
    pub gzip: bool,
    /// Value of the `Server` header added to every response that has none (unset: no
    /// header, as Django). Applied with or without the default middleware stack.
    pub server_header: Option<String>,
    /// `Strict-Transport-Security` max-age in seconds (0: header not sent).
    pub secure_hsts_seconds: u64,
    /// Add `includeSubDomains` to the HSTS header.
    pub secure_hsts_include_subdomains: bool,
    /// Add `preload` to the HSTS header.
    pub secure_hsts_preload: bool,
    /// Redirect plain-HTTP requests to HTTPS.
    pub secure_ssl_redirect: bool,
    /// Header a TLS-terminating proxy sets, e.g. `x-forwarded-proto`, trusted for the scheme.
    pub secure_proxy_ssl_header: Option<String>,
    /// `X-Frame-Options` value (`DENY` by default, or `SAMEORIGIN`).
    pub x_frame_options: String,
    /// `Referrer-Policy` value.
    pub referrer_policy: String,
    /// `Cross-Origin-Opener-Policy` value.
    pub cross_origin_opener_policy: String,
    /// Mark the session cookie `Secure`.
    pub session_cookie_secure: bool,
    /// Mark the CSRF cookie `Secure`.
    pub csrf_cookie_secure: bool,
    /// URL prefix static files are served under.
    pub static_url: String,
    /// Trailing-slash policy: `append` (default), `strip` or `strict`.
    pub trailing_slash: TrailingSlash,
    /// Log filter for `tracing` (e.g. `info`, `trellis=debug`).
    pub log: String,
    /// Settings of installed apps, by app label: `[apps.blog] page_size = 10`.
    pub apps: BTreeMap<String, toml::Table>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            debug: false,
            secret_key: None,
            allowed_hosts: Vec::new(),
            bind: "127.0.0.1:8000".into(),
            database_url: None,
            database_max_connections: 10,
            database_health_checks: false,
            body_limit: 2_621_440,
            upload_memory_threshold: 1_048_576,
            upload_max_file_size: 2_621_440,
            request_timeout_secs: 30,
            drain_timeout_secs: 30,
            blocking_threads: 64,
            default_middleware: true,
            access_log: None,
            gzip: true,
            server_header: None,
            secure_hsts_seconds: 0,
            secure_hsts_include_subdomains: false,
            secure_hsts_preload: false,
            secure_ssl_redirect: false,
            secure_proxy_ssl_header: None,
            x_frame_options: "DENY".into(),
            referrer_policy: "same-origin".into(),
            cross_origin_opener_policy: "same-origin".into(),
            session_cookie_secure: false,
            csrf_cookie_secure: false,
            static_url: "/static/".into(),
            trailing_slash: TrailingSlash::Append,
            log: "info".into(),
            apps: BTreeMap::new(),
        }
    }
}

/// Kinds of values, to parse environment strings.
#[derive(Clone, Copy)]
enum Kind {
    Bool,
    OptBool,
    Int,
    Str,
    OptStr,
    List,
}

const KEYS: &[(&str, Kind)] = &[
    ("debug", Kind::Bool),
    ("secret_key", Kind::OptStr),
    ("allowed_hosts", Kind::List),
    ("bind", Kind::Str),
    ("database_url", Kind::OptStr),
    ("database_max_connections", Kind::Int),
    ("database_health_checks", Kind::Bool),
    ("body_limit", Kind::Int),
    ("upload_memory_threshold", Kind::Int),
    ("upload_max_file_size", Kind::Int),
    ("request_timeout_secs", Kind::Int),
    ("drain_timeout_secs", Kind::Int),
    ("blocking_threads", Kind::Int),
    ("default_middleware", Kind::Bool),
    ("access_log", Kind::OptBool),
    ("gzip", Kind::Bool),
    ("server_header", Kind::OptStr),
    ("secure_hsts_seconds", Kind::Int),
    ("secure_hsts_include_subdomains", Kind::Bool),
    ("secure_hsts_preload", Kind::Bool),
    ("secure_ssl_redirect", Kind::Bool),
    ("secure_proxy_ssl_header", Kind::OptStr),
    ("x_frame_options", Kind::Str),
    ("referrer_policy", Kind::Str),
    ("cross_origin_opener_policy", Kind::Str),
    ("session_cookie_secure", Kind::Bool),
    ("csrf_cookie_secure", Kind::Bool),
    ("static_url", Kind::Str),
    ("trailing_slash", Kind::Str),
    ("log", Kind::Str),
];

/// Development secret keys start with this; they are refused outside debug.
pub const INSECURE_KEY_PREFIX: &str = "trellis-insecure-";

/// Environment variables read by the loader that are not setting keys.
const LOADER_VARS: &[&str] = &[
    "TRELLIS_CONFIG",
    "TRELLIS_RELOADER_CHILD",
    "TRELLIS_TEST_POSTGRES",
    "TRELLIS_TEST_MYSQL",
    "TRELLIS_TEST_REDIS",
];

/// A setting could not be loaded. The message names the key and the source.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A key that is not a Trellis setting.
    #[error("unknown setting `{key}` in {source_name}")]
    UnknownKey {
        /// The key as written.
        key: String,
        /// Where it came from.
        source_name: String,
    },
    /// A value of the wrong type or shape.
    #[error("bad value for setting `{key}` in {source_name}: {message}")]
    BadValue {
        /// The key.
        key: String,
        /// Where it came from.
        source_name: String,
        /// What was wrong.
        message: String,
    },
    /// The settings file could not be read or parsed.
    #[error("cannot read settings file {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// Settings that are each valid but wrong together.
    #[error("{0}")]
    Invalid(String),
}

type Defaults = Box<dyn Fn(&mut Settings) + Send + Sync>;

/// Loads [`Settings`] from code defaults, then `trellis.toml`, then the environment.
#[must_use]
pub struct SettingsLoader {
    defaults: Vec<Defaults>,
    file: Option<PathBuf>,
    read_file: bool,
    env: Option<Vec<(String, String)>>,
}

impl Default for SettingsLoader {
    fn default() -> Self {
        Self::new()
    }
}

impl SettingsLoader {
    /// A loader reading `trellis.toml` (or the file named by `TRELLIS_CONFIG`) and the process environment.
    pub fn new() -> Self {
        SettingsLoader {
            defaults: Vec::new(),
            file: None,
            read_file: true,
            env: None,
        }
    }

    /// Project defaults, applied before the file and the environment (Django's `settings.py`).
    pub fn defaults(mut self, f: impl Fn(&mut Settings) + Send + Sync + 'static) -> Self {
        self.defaults.push(Box::new(f));
        self
    }

    /// Read this settings file instead of `trellis.toml`.
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.file = Some(path.into());
        self.read_file = true;
        self
    }

    /// Read no settings file.
    pub fn no_file(mut self) -> Self {
        self.read_file = false;
        self
    }

    /// Use these variables instead of the process environment.
    pub fn env_vars<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Load and validate the settings.
    pub fn load(&self) -> Result<Settings, SettingsError> {
        let mut settings = Settings::default();
        for f in &self.defaults {
            f(&mut settings);
        }
        let mut table = match toml::Table::try_from(&settings) {
            Ok(t) => t,
            Err(e) => return Err(SettingsError::Invalid(e.to_string())),
        };
        let env: Vec<(String, String)> = match &self.env {
            Some(v) => v.clone(),
            None => std::env::vars().collect(),
        };
        if self.read_file {
            let explicit = self.file.clone().or_else(|| {
                env.iter()
                    .find(|(k, _)| k == "TRELLIS_CONFIG")
                    .map(|(_, v)| PathBuf::from(v))
            });
            let path = explicit
                .clone()
                .unwrap_or_else(|| PathBuf::from("trellis.toml"));
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let file: toml::Table =
                        text.parse()
                            .map_err(|e: toml::de::Error| SettingsError::File {
                                path: path.display().to_string(),
                                message: e.to_string(),
                            })?;
                    let name = path.display().to_string();
                    for (key, value) in file {
                        if key == "apps" {
                            check_apps_table(&value, &name)?;
                        } else {
                            check_value(&key, &value, &name)?;
                        }
                        table.insert(key, value);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {}
                Err(e) => {
                    return Err(SettingsError::File {
                        path: path.display().to_string(),
                        message: e.to_string(),
                    });
                }
            }
        }
        for (name, raw) in &env {
            let key = if name == "DATABASE_URL" {
                "database_url".to_string()
            } else if let Some(rest) = name.strip_prefix("TRELLIS_") {
                if LOADER_VARS.contains(&name.as_str()) {
                    continue;
                }
                rest.to_ascii_lowercase()
            } else {
                continue;
            };
            let source_name = format!("environment variable {name}");
            let Some((_, kind)) = KEYS.iter().find(|(k, _)| *k == key) else {
                return Err(SettingsError::UnknownKey {
                    key: name.clone(),
                    source_name,
                });
            };
            let value = parse_env(&key, *kind, raw, &source_name)?;
            table.insert(key, value);
        }
        let settings: Settings =
            toml::Value::Table(table)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    SettingsError::Invalid(format!("invalid settings: {}", e.message()))
                })?;
        settings.validate()?;
        Ok(settings)
    }
}

fn check_apps_table(value: &toml::Value, source: &str) -> Result<(), SettingsError> {
    match value {
        toml::Value::Table(t) if t.values().all(|v| v.is_table()) => Ok(()),
        _ => Err(SettingsError::BadValue {
            key: "apps".into(),
            source_name: source.into(),
            message: "expected a table of tables, one per app label".into(),
        }),
    }
}

fn check_value(key: &str, value: &toml::Value, source: &str) -> Result<(), SettingsError> {
    let Some((_, kind)) = KEYS.iter().find(|(k, _)| *k == key) else {
        return Err(SettingsError::UnknownKey {
            key: key.into(),
            source_name: source.into(),
        });
    };
    let ok = match kind {
        Kind::Bool | Kind::OptBool => value.is_bool(),
        Kind::Int => value.as_integer().is_some_and(|i| i >= 0),
        Kind::Str | Kind::OptStr => value.is_str(),
        Kind::List => value
            .as_array()
            .is_some_and(|a| a.iter().all(toml::Value::is_str)),
    };
    if ok {
        Ok(())
    } else {
        let expected = match kind {
            Kind::Bool | Kind::OptBool => "true or false",
            Kind::Int => "a non-negative integer",
            Kind::Str | Kind::OptStr => "a string",
            Kind::List => "a list of strings",
        };
        Err(SettingsError::BadValue {
            key: key.into(),
            source_name: source.into(),
            message: format!("expected {expected}, got `{value}`"),
        })
    }
}

fn parse_env(key: &str, kind: Kind, raw: &str, source: &str) -> Result<toml::Value, SettingsError> {
    let bad = |message: String| SettingsError::BadValue {
        key: key.into(),
        source_name: source.into(),
        message,
    };
    Ok(match kind {
        Kind::Bool | Kind::OptBool => match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => toml::Value::Boolean(true),
            "0" | "false" | "no" | "off" => toml::Value::Boolean(false),
            _ => return Err(bad(format!("expected true or false, got `{raw}`"))),
        },
        Kind::Int => {
            let n: u64 = raw
                .trim()
                .parse()
                .map_err(|_| bad(format!("expected a non-negative integer, got `{raw}`")))?;
            toml::Value::Integer(
                i64::try_from(n).map_err(|_| bad(format!("`{raw}` is too large")))?,
            )
        }
        Kind::Str | Kind::OptStr => toml::Value::String(raw.to_string()),
        Kind::List => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_string()))
                .collect(),
        ),
    })
}

impl Settings {
    /// Checks that hold across keys: a secret key outside debug, a sane bind address.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if !self.debug
            && self
                .secret_key
                .as_deref()
                .is_none_or(|k| k.trim().is_empty())
        {
            return Err(SettingsError::Invalid(
                "setting `secret_key` is required when `debug` is false: set TRELLIS_SECRET_KEY (50+ random characters)"
                    .into(),
            ));
        }
        if !self.debug
            && self
                .secret_key
                .as_deref()
                .is_some_and(|k| k.starts_with(INSECURE_KEY_PREFIX))
        {
            return Err(SettingsError::Invalid(format!(
                "setting `secret_key` is a development key (it starts with `{INSECURE_KEY_PREFIX}`) and `debug` is \
                 false: set TRELLIS_SECRET_KEY to 50+ random characters"
            )));
        }
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(SettingsError::BadValue {
                key: "bind".into(),
                source_name: "settings".into(),
                message: format!("`{}` is not an address like 127.0.0.1:8000", self.bind),
            });
        }
        if !self.static_url.starts_with('/') || !self.static_url.ends_with('/') {
            return Err(SettingsError::BadValue {
                key: "static_url".into(),
                source_name: "settings".into(),
                message: format!("`{}` must start and end with `/`", self.static_url),
            });
        }
        if let Some(v) = &self.server_header
            && (v.trim().is_empty() || http::HeaderValue::from_str(v).is_err())
        {
            return Err(SettingsError::BadValue {
                key: "server_header".into(),
                source_name: "settings".into(),
                message: format!("`{v}` is not a header value (empty, or a control character)"),
            });
        }
        if self.blocking_threads == 0 {
            return Err(SettingsError::BadValue {
                key: "blocking_threads".into(),
                source_name: "settings".into(),
                message: "must be at least 1".into(),
            });
        }
        Ok(())
    }

    /// The settings table of an installed app (`[apps.<label>]`), empty when absent.
    pub fn app(&self, label: &str) -> toml::Table {
        self.apps.get(label).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
