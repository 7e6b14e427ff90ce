//! The demo site's binary: `cargo run -p demo` migrates the database (SQLite
//! `db.sqlite3` unless `DATABASE_URL` says otherwise), loads the sample data into an empty
//! one, and serves the site on http://127.0.0.1:8000. Other commands: `demo --help`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let command = std::env::args().nth(1);
    let serving = matches!(command.as_deref(), None | Some("runserver"));
    if serving
        && std::env::var_os("TRELLIS_RELOADER_CHILD").is_none()
        && let Err(e) = prepare()
    {
        eprintln!("Error: {e}");
        return ExitCode::FAILURE;
    }
    trellis::run(demo::app())
}

/// Migrate and seed before serving, on a small runtime of its own.
fn prepare() -> Result<(), String> {
    let settings = demo::app().load_settings().map_err(|e| e.to_string())?;
    let url = settings
        .database_url
        .clone()
        .unwrap_or_else(|| trellis::db::DEFAULT_DATABASE_URL.into());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let db = trellis::orm::Db::connect(&url)
            .await
            .map_err(|e| e.to_string())?;
        for line in demo::prepare(&db).await? {
            println!("{line}");
        }
        db.close().await;
        Ok(())
    })
}
