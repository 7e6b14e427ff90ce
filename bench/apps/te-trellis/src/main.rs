//! Trellis contender of the TechEmpower-style suite (`bench/run`), written as a user would
//! write it: models and QuerySets from `trellis::orm`, the pool from
//! `trellis::db::Database` (`DATABASE_URL`, `TRELLIS_DATABASE_MAX_CONNECTIONS`), fortunes
//! rendered by `trellis::templates` from `templates/fortunes.html`, and whatever middleware
//! the settings turn on (the default stack unless `TRELLIS_DEFAULT_MIDDLEWARE=false`).
//! The `Server` header the TechEmpower rules require is the `server_header` setting.
//! `/cached-queries` reads an app-scoped [`WorldCache`] filled with the ORM at start-up;
//! `POST /items/{shop_id}` is the validated endpoint (`extract::{Path, Query, Json}` with
//! `#[schemars(...)]` constraints, as `bench/apps/validated-trellis`).
//!
//! Usage: `bench-te-trellis runserver 127.0.0.1:PORT` (any `trellis::run` command).

mod validated;

use std::cell::Cell;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use trellis::db::{Database, DbError};
use trellis::extract::raw;
use trellis::orm::prelude::*;
use trellis::prelude::*;

/// A row of TechEmpower's `world` table.
#[derive(Model, Debug, Clone)]
#[model(app = "bench", table = "world")]
struct World {
    id: i32,
    randomnumber: i32,
}

/// A row of TechEmpower's `fortune` table.
#[derive(Model, Debug, Clone)]
#[model(app = "bench", table = "fortune")]
struct Fortune {
    id: i32,
    #[field(max_length = 2048)]
    message: String,
}

/// A world as the JSON answers spell it.
#[derive(Serialize)]
struct WorldOut {
    id: i32,
    #[serde(rename = "randomNumber")]
    random_number: i32,
}

impl From<&World> for WorldOut {
    fn from(w: &World) -> Self {
        WorldOut {
            id: w.id,
            random_number: w.randomnumber,
        }
    }
}

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

#[derive(Serialize)]
struct FortuneOut {
    id: i32,
    message: String,
}

/// The fortunes template's context.
#[derive(Serialize)]
struct FortunesPage<T> {
    fortunes: Vec<T>,
}

#[derive(Deserialize)]
struct Params {
    queries: Option<String>,
}

fn count(p: &Params) -> usize {
    clamp(p.queries.as_deref())
}

fn clamp(v: Option<&str>) -> usize {
    v.and_then(|q| q.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 500)
}

#[derive(Deserialize)]
struct CachedParams {
    count: Option<String>,
}

thread_local! {
    static RNG: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    t | 1
}

/// A random id in 1..=10000 (xorshift64*).
fn random_id() -> i32 {
    RNG.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) % 10_000) as i32 + 1
    })
}

async fn plaintext() -> &'static str {
    "Hello, World!"
}

async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

async fn db(State(db): State<Db>) -> Result<Json<WorldOut>, HttpError> {
    let w = World::objects()
        .filter(Q::pk(random_id()))
        .get(&db)
        .await
        .map_err(DbError)?;
    Ok(Json(WorldOut::from(&w)))
}

async fn fetch_many(db: &Db, n: usize) -> Result<Vec<World>, HttpError> {
    let mut worlds = Vec::with_capacity(n);
    for _ in 0..n {
        worlds.push(
            World::objects()
                .filter(Q::pk(random_id()))
                .get(db)
                .await
                .map_err(DbError)?,
        );
    }
    Ok(worlds)
}

async fn queries(
    State(db): State<Db>,
    raw::Query(p): raw::Query<Params>,
) -> Result<Json<Vec<WorldOut>>, HttpError> {
    let worlds = fetch_many(&db, count(&p)).await?;
    Ok(Json(worlds.iter().map(WorldOut::from).collect()))
}

/// The `/cached-queries` cache: the whole `world` table, read once with the ORM. App-scoped
/// state (`State<WorldCache>`), registered and filled at start-up by [`world_cache`];
/// a request that comes before the read has finished waits for it.
#[derive(Clone, Default)]
struct WorldCache(Arc<tokio::sync::OnceCell<Vec<World>>>);

impl WorldCache {
    /// Every world, indexed by id - 1.
    async fn worlds(&self, db: &Db) -> Result<&[World], trellis::orm::Error> {
        let all = self
            .0
            .get_or_try_init(|| async { World::objects().order_by(["id"]).all(db).await })
            .await?;
        Ok(all)
    }
}

/// The app that registers the [`WorldCache`] and starts filling it (after the database
/// battery, whose pool it reads).
fn world_cache() -> AppConfig {
    AppConfig::new("world_cache").on_build(|cx| {
        let db = cx
            .states
            .get::<Db>()
            .cloned()
            .ok_or("install the database battery before world_cache()")?;
        let cache = WorldCache::default();
        let warm = cache.clone();
        tokio::spawn(async move {
            match warm.worlds(&db).await {
                Ok(all) if all.len() == 10_000 => {}
                Ok(all) => eprintln!("world cache: {} rows, expected 10000", all.len()),
                Err(e) => eprintln!("world cache: {e}"),
            }
        });
        cx.states.insert(cache);
        Ok(())
    })
}

async fn cached_queries(
    State(db): State<Db>,
    State(cache): State<WorldCache>,
    raw::Query(p): raw::Query<CachedParams>,
) -> Result<Json<Vec<WorldOut>>, HttpError> {
    let all = cache.worlds(&db).await.map_err(DbError)?;
    let n = clamp(p.count.as_deref());
    Ok(Json(
        (0..n)
            .map(|_| WorldOut::from(&all[random_id() as usize - 1]))
            .collect(),
    ))
}

async fn updates(
    State(db): State<Db>,
    raw::Query(p): raw::Query<Params>,
) -> Result<Json<Vec<WorldOut>>, HttpError> {
    let mut worlds = fetch_many(&db, count(&p)).await?;
    for w in &mut worlds {
        w.randomnumber = random_id();
    }
    // One statement for the batch, rows in id order (no deadlocks between requests);
    // a repeated id answers the value written for it.
    let mut sorted = worlds.clone();
    sorted.sort_by_key(|w| w.id);
    sorted.dedup_by_key(|w| w.id);
    trellis::orm::bulk_update(&db, &sorted, &["randomnumber"])
        .await
        .map_err(DbError)?;
    for w in &mut worlds {
        if let Ok(i) = sorted.binary_search_by_key(&w.id, |x| x.id) {
            w.randomnumber = sorted[i].randomnumber;
        }
    }
    Ok(Json(worlds.iter().map(WorldOut::from).collect()))
}

async fn fortunes(
    State(db): State<Db>,
    State(t): State<Templates>,
) -> Result<Html<String>, HttpError> {
    let mut list: Vec<FortuneOut> = Fortune::objects()
        .all(&db)
        .await
        .map_err(DbError)?
        .into_iter()
        .map(|f| FortuneOut {
            id: f.id,
            message: f.message,
        })
        .collect();
    list.push(FortuneOut {
        id: 0,
        message: "Additional fortune added at request time.".into(),
    });
    list.sort_by(|a, b| a.message.cmp(&b.message));
    t.render("fortunes.html", FortunesPage { fortunes: list })
}

/// ~200 µs of CPU: 3,000 chained SHA-256 rounds (the scaling test).
async fn cpu() -> String {
    use sha2::{Digest, Sha256};
    let mut d = [0u8; 32];
    for _ in 0..3000 {
        d = Sha256::digest(d).into();
    }
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() -> std::process::ExitCode {
    let app = App::new("bench")
        .settings(|s| s.server_header = Some("trellis".into()))
        .templates(concat!(env!("CARGO_MANIFEST_DIR"), "/templates"))
        .install(trellis::templates::app())
        .route("/plaintext", get(plaintext))
        .route("/json", get(json))
        .route("/db", get(db))
        .route("/queries", get(queries))
        .route("/cached-queries", get(cached_queries))
        .route("/updates", get(updates))
        .route("/fortunes", get(fortunes))
        .route("/cpu", get(cpu))
        .route("/items/{shop_id}", post(validated::validated));
    trellis::run(Database::new().install(app).install(world_cache()))
}
