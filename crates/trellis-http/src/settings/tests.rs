use super::*;

fn loader() -> SettingsLoader {
    SettingsLoader::new().no_file().defaults(|s| s.debug = true)
}

#[test]
fn env_overrides_defaults_and_parses_lists() {
    let s = loader()
        .env_vars([
            ("TRELLIS_DEBUG", "false"),
            ("TRELLIS_SECRET_KEY", "x".repeat(50).as_str()),
            ("TRELLIS_ALLOWED_HOSTS", "example.com, localhost"),
            ("DATABASE_URL", "sqlite://db.sqlite3"),
            ("PATH", "/bin"),
        ])
        .load()
        .unwrap();
    assert!(!s.debug);
    assert_eq!(s.allowed_hosts, ["example.com", "localhost"]);
    assert_eq!(s.database_url.as_deref(), Some("sqlite://db.sqlite3"));
}

#[test]
fn unknown_env_key_is_named() {
    let err = loader()
        .env_vars([("TRELLIS_DEBUGG", "1")])
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("TRELLIS_DEBUGG"), "{err}");
}

#[test]
fn bad_env_value_is_named() {
    let err = loader()
        .env_vars([("TRELLIS_BODY_LIMIT", "big")])
        .load()
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("body_limit") && msg.contains("big"), "{msg}");
}

#[test]
fn secret_key_required_outside_debug() {
    let err = loader()
        .env_vars([("TRELLIS_DEBUG", "false")])
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("secret_key"), "{err}");
}

#[test]
fn file_between_defaults_and_env() {
    let dir = std::env::temp_dir().join(format!("trellis-settings-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trellis.toml");
    std::fs::write(
        &path,
        "bind = \"0.0.0.0:9000\"\ngzip = false\n[apps.blog]\npage_size = 5\n",
    )
    .unwrap();
    let s = SettingsLoader::new()
        .defaults(|s| s.debug = true)
        .file(&path)
        .env_vars([("TRELLIS_GZIP", "true")])
        .load()
        .unwrap();
    assert_eq!(s.bind, "0.0.0.0:9000");
    assert!(s.gzip);
    assert_eq!(s.app("blog")["page_size"].as_integer(), Some(5));

    std::fs::write(&path, "colour = \"red\"\n").unwrap();
    let err = SettingsLoader::new()
        .file(&path)
        .env_vars::<&str, &str>([])
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");

    std::fs::write(&path, "debug = \"yes\"\n").unwrap();
    let err = SettingsLoader::new()
        .file(&path)
        .env_vars::<&str, &str>([])
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("`debug`"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn trailing_slash_policy_is_checked() {
    let err = loader()
        .env_vars([("TRELLIS_TRAILING_SLASH", "sideways")])
        .load()
        .unwrap_err();
    assert!(
        err.to_string().contains("sideways") || err.to_string().contains("trailing"),
        "{err}"
    );
}

#[test]
fn development_key_is_refused_outside_debug() {
    let dev = || {
        SettingsLoader::new().no_file().defaults(|s| {
            s.debug = true;
            s.secret_key = Some("trellis-insecure-abc".into());
        })
    };
    assert!(dev().env_vars::<&str, &str>([]).load().is_ok());
    let err = dev()
        .env_vars([("TRELLIS_DEBUG", "false")])
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("development key"), "{err}");
}

#[test]
fn server_header_from_env_and_checked() {
    let s = loader().load().unwrap();
    assert_eq!(s.server_header, None);
    let s = loader()
        .env_vars([("TRELLIS_SERVER_HEADER", "trellis")])
        .load()
        .unwrap();
    assert_eq!(s.server_header.as_deref(), Some("trellis"));
    for bad in ["", "  ", "a\nb"] {
        let err = loader()
            .env_vars([("TRELLIS_SERVER_HEADER", bad)])
            .load()
            .unwrap_err();
        assert!(err.to_string().contains("server_header"), "{err}");
    }
}
