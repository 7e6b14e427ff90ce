//! Trellis contender of the TechEmpower-style suite (`bench/run`), written as a user would
//! write it: models and QuerySets from `trellis::orm`, the pool from
//! `trellis::db::Database` (`DATABASE_URL`, `TRELLIS_DATABASE_MAX_CONNECTIONS`), fortunes
//! rendered by `trellis::templates` from `templates/fortunes.html`, and whatever middleware
//! the settings turn on (the default stack unless `TRELLIS_DEFAULT_MIDDLEWARE=false`).
//! The only addition is the `Server` header the TechEmpower rules require.
//!
//! Usage: `bench-te-trellis runserver 127.0.0.1:PORT` (any `trellis::run` command).

use std::cell::Cell;

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
    p.queries
        .as_deref()
        .and_then(|q| q.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 500)
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

async fn server_header(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    r.headers_mut().insert(
        trellis::http::header::SERVER,
        trellis::http::HeaderValue::from_static("trellis"),
    );
    r
}

fn main() -> std::process::ExitCode {
    let app = App::new("bench")
        .templates(concat!(env!("CARGO_MANIFEST_DIR"), "/templates"))
        .install(trellis::templates::app())
        .route("/plaintext", get(plaintext))
        .route("/json", get(json))
        .route("/db", get(db))
        .route("/queries", get(queries))
        .route("/updates", get(updates))
        .route("/fortunes", get(fortunes))
        .route("/cpu", get(cpu))
        .middleware(from_fn(server_header));
    trellis::run(Database::new().install(app))
}
