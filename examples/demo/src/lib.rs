//! The Trellis demo site: every battery in use. It shows the request cycle end to end:
//! a home page rendered from a template, a blog app with models, migrations and named
//! routes, a JSON API stored with the ORM and with dependencies (a sub-dependency and a
//! teardown), a blocking CPU-bound endpoint, and the benchmark endpoints `/plaintext` and
//! `/json`.
//!
//! The database is SQLite by default (`db.sqlite3` in the working directory); set
//! `DATABASE_URL` for another file, PostgreSQL or MySQL. `cargo run -p demo` migrates it
//! and loads the sample data into a new database before serving.

pub mod api;
pub mod blog;
mod pages;

use trellis::App;
use trellis::db::Database;
use trellis::routing::get;

/// A development secret, as Django's `startproject` writes one: `check --deploy` flags it.
const DEV_SECRET_KEY: &str = "trellis-insecure-3x!v0m#9q$demo-only-change-me-in-production";

/// The demo's apps with models.
pub fn database() -> Database {
    Database::new().app(blog::models()).app(api::models())
}

/// The demo project.
pub fn app() -> App {
    let app = App::new("demo")
        .settings(|s| {
            s.debug = true;
            s.secret_key = Some(DEV_SECRET_KEY.into());
        })
        .templates(concat!(env!("CARGO_MANIFEST_DIR"), "/templates"))
        .static_files(concat!(env!("CARGO_MANIFEST_DIR"), "/static"))
        .install(trellis::templates::app())
        .install(blog::app())
        .install(api::app())
        .install(trellis::openapi::app(trellis::openapi::OpenApiConfig {
            title: "Trellis demo".into(),
            description: Some("The demo site's JSON API.".into()),
            ..Default::default()
        }))
        .route("/", get(pages::home).name("home"))
        .route("/plaintext", get(pages::plaintext).name("plaintext"))
        .route("/json", get(pages::json).name("json"))
        .route("/api/posts", get(blog::api_posts).name("api-posts"))
        .command(pages::greet_command())
        .command(seed_command());
    database().install(app)
}

/// Migrate the database and load the sample data if it is empty (what `cargo run -p demo`
/// does before serving). Returns what was done, for the log.
pub async fn prepare(db: &trellis::orm::Db) -> Result<Vec<String>, String> {
    let mut log = trellis::db::migrate(db, &database(), None, None).await?;
    log.extend(seed(db).await?);
    Ok(log)
}

async fn seed(db: &trellis::orm::Db) -> Result<Vec<String>, String> {
    use trellis::orm::prelude::*;
    let mut log = Vec::new();
    match blog::seed::seed(db).await.map_err(|e| e.to_string())? {
        blog::seed::Seeded::Created(a, p, c) => log.push(format!(
            "Seeded the blog: {a} authors, {p} posts, {c} comments"
        )),
        blog::seed::Seeded::AlreadyPresent => log.push("The blog already has data".into()),
    }
    if !api::items::ItemRow::objects()
        .exists(db)
        .await
        .map_err(|e| e.to_string())?
    {
        let items = trellis::orm::bulk_create(db, api::items::sample_items())
            .await
            .map_err(|e| e.to_string())?;
        log.push(format!("Seeded the API: {} items", items.len()));
    }
    Ok(log)
}

/// `demo seed`: load the sample data (5 authors, 24 posts with tags and comments, 200
/// items) unless present.
fn seed_command() -> trellis::app::Command {
    trellis::app::Command::new(
        "seed",
        "Load the sample data into an empty database",
        |cx| async move {
            let db = trellis::db::db_of(&cx.app)?;
            for line in seed(&db).await? {
                println!("{line}");
            }
            Ok(())
        },
    )
}
