//! System checks (Django's `core/checks/security/`): `check` and `check --deploy`.

use crate::settings::Settings;

/// How serious a check message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Worth knowing.
    Warning,
    /// Must be fixed.
    Error,
}

/// One finding of a system check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckMessage {
    /// Stable id, e.g. `security.W018`.
    pub id: &'static str,
    /// Severity.
    pub level: Level,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl CheckMessage {
    /// A warning.
    pub fn warning(id: &'static str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        CheckMessage {
            id,
            level: Level::Warning,
            message: message.into(),
            hint: Some(hint.into()),
        }
    }
}

impl std::fmt::Display for CheckMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "?: ({}) {}", self.id, self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n\tHINT: {h}")?;
        }
        Ok(())
    }
}

const MIN_SECRET_KEY_LENGTH: usize = 50;
const MIN_SECRET_KEY_UNIQUE: usize = 5;
const INSECURE_PREFIX: &str = crate::settings::INSECURE_KEY_PREFIX;

/// The deployment checks, as Django's `check --deploy`.
pub fn deploy_checks(s: &Settings) -> Vec<CheckMessage> {
    let mut out = Vec::new();
    if s.debug {
        out.push(CheckMessage::warning(
            "security.W018",
            "You should not have `debug` set to true in deployment.",
            "Set TRELLIS_DEBUG=false.",
        ));
    }
    let weak = match &s.secret_key {
        None => true,
        Some(k) => {
            let unique: std::collections::HashSet<char> = k.chars().collect();
            k.chars().count() < MIN_SECRET_KEY_LENGTH
                || unique.len() < MIN_SECRET_KEY_UNIQUE
                || k.starts_with(INSECURE_PREFIX)
        }
    };
    if weak {
        out.push(CheckMessage::warning(
            "security.W009",
            format!(
                "Your `secret_key` has less than {MIN_SECRET_KEY_LENGTH} characters, less than \
                 {MIN_SECRET_KEY_UNIQUE} unique characters, or it is prefixed with '{INSECURE_PREFIX}', \
                 indicating that it was generated for development. Please generate a long and random value, \
                 otherwise many of Trellis' security-critical features will be vulnerable to attack."
            ),
            "Set TRELLIS_SECRET_KEY to 50 or more random characters, e.g. from `openssl rand -base64 48`.",
        ));
    }
    if s.secure_hsts_seconds == 0 {
        out.push(CheckMessage::warning(
            "security.W004",
            "You have not set a value for `secure_hsts_seconds`. If your entire site is served only over SSL, \
             you may want to consider setting a value and enabling HTTP Strict Transport Security. Be sure to \
             read the documentation first; enabling HSTS carelessly can cause serious, irreversible problems.",
            "Set TRELLIS_SECURE_HSTS_SECONDS (e.g. 31536000) once HTTPS works everywhere.",
        ));
    }
    if !s.secure_ssl_redirect {
        out.push(CheckMessage::warning(
            "security.W008",
            "Your `secure_ssl_redirect` setting is not true. Unless your site should be available over both \
             SSL and non-SSL connections, you may want to set it to true or configure a load balancer or \
             reverse-proxy server to redirect all connections to HTTPS.",
            "Set TRELLIS_SECURE_SSL_REDIRECT=true.",
        ));
    }
    if !s.session_cookie_secure {
        out.push(CheckMessage::warning(
            "security.W012",
            "`session_cookie_secure` is not set to true. Using a secure-only session cookie makes it more \
             difficult for network traffic sniffers to hijack user sessions.",
            "Set TRELLIS_SESSION_COOKIE_SECURE=true.",
        ));
    }
    if !s.csrf_cookie_secure {
        out.push(CheckMessage::warning(
            "security.W016",
            "`csrf_cookie_secure` is not set to true. Using a \
             secure-only CSRF cookie makes it more difficult for network traffic sniffers to steal the CSRF token.",
            "Set TRELLIS_CSRF_COOKIE_SECURE=true.",
        ));
    }
    if s.allowed_hosts.is_empty() {
        out.push(CheckMessage::warning(
            "security.W020",
            "`allowed_hosts` must not be empty in deployment.",
            "Set TRELLIS_ALLOWED_HOSTS=example.com,www.example.com.",
        ));
    }
    if !s.x_frame_options.eq_ignore_ascii_case("DENY") {
        out.push(CheckMessage::warning(
            "security.W019",
            "`x_frame_options` is not 'DENY'. Unless there is a good reason for your site to be served in a frame, \
             you should set it to 'DENY'.",
            "Set TRELLIS_X_FRAME_OPTIONS=DENY.",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_settings_warn() {
        let s = Settings {
            debug: true,
            secret_key: Some("trellis-insecure-abc".into()),
            ..Settings::default()
        };
        let ids: Vec<_> = deploy_checks(&s).iter().map(|m| m.id).collect();
        for id in [
            "security.W018",
            "security.W009",
            "security.W004",
            "security.W012",
            "security.W016",
            "security.W020",
        ] {
            assert!(ids.contains(&id), "{id} missing from {ids:?}");
        }
    }

    #[test]
    fn hardened_settings_are_quiet() {
        let s = Settings {
            debug: false,
            secret_key: Some("k8#Jd93!mQz0Lw7@xP2vR5tY1uN6bC4eF8gH0iJ3kM9oS2aD7q".into()),
            allowed_hosts: vec!["example.com".into()],
            secure_hsts_seconds: 31_536_000,
            secure_ssl_redirect: true,
            session_cookie_secure: true,
            csrf_cookie_secure: true,
            ..Settings::default()
        };
        assert_eq!(deploy_checks(&s), vec![]);
    }
}
