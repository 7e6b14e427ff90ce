//! Raw axum + sqlx (+ minijinja for fortunes) contender of the TechEmpower-style suite
//! (`bench/run`), written the way the TechEmpower `axum` (sqlx) entry is: a bare `Router`,
//! a sqlx pool, prepared statements, no middleware except the `Server` header the rules
//! require. `/cached-queries` reads a copy of the `world` table loaded at start-up;
//! `POST /items/{shop_id}` is the validated endpoint ([`validated`]).
//!
//! Usage:
//! - `bench-te-axum serve ADDR DATABASE_URL`: serve the workloads;
//! - `bench-te-axum setup DATABASE_URL`: create and fill `world` (10,000 rows) and
//!   `fortune` (the 12 TechEmpower rows);
//! - `bench-te-axum createdb ADMIN_URL NAME` / `dropdb ADMIN_URL NAME` (PostgreSQL).
//!
//! The pool size is `BENCH_POOL_SIZE` (default 10, the same default as Trellis).

mod validated;

use std::cell::Cell;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sqlx::Connection;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

/// The 12 rows of TechEmpower's `fortune` table (the escaping and UTF-8 test rows included).
const FORTUNES: [&str; 12] = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. \u{2014} Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. \u{2014} Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
    "\u{30d5}\u{30ec}\u{30fc}\u{30e0}\u{30ef}\u{30fc}\u{30af}\u{306e}\u{30d9}\u{30f3}\u{30c1}\u{30de}\u{30fc}\u{30af}",
];

const TEMPLATE: &str = "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>{% for f in fortunes %}<tr><td>{{ f.id }}</td><td>{{ f.message }}</td></tr>{% endfor %}</table></body></html>";

#[derive(Clone)]
enum Pool {
    Pg(PgPool),
    Sqlite(SqlitePool),
}

#[derive(Clone)]
struct AppState {
    pool: Pool,
    env: Arc<minijinja::Environment<'static>>,
    /// The `world` table, read once at start-up, indexed by id - 1.
    cache: Arc<[World]>,
}

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

#[derive(Serialize, Clone, Copy)]
struct World {
    id: i32,
    #[serde(rename = "randomNumber")]
    random_number: i32,
}

#[derive(Serialize)]
struct Fortune {
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
    let id = format!("{:?}", std::thread::current().id());
    t ^ (id.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1
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

type Res<T> = Result<T, Response>;

fn internal(e: impl std::fmt::Display) -> Response {
    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
}

async fn plaintext() -> &'static str {
    "Hello, World!"
}

async fn json() -> Json<Message> {
    Json(Message {
        message: "Hello, World!",
    })
}

async fn fetch_world(pool: &Pool, id: i32) -> Result<World, sqlx::Error> {
    let (id, random_number): (i32, i32) = match pool {
        Pool::Pg(p) => {
            sqlx::query_as("SELECT id, randomnumber FROM world WHERE id = $1")
                .bind(id)
                .fetch_one(p)
                .await?
        }
        Pool::Sqlite(p) => {
            sqlx::query_as("SELECT id, randomnumber FROM world WHERE id = ?")
                .bind(id)
                .fetch_one(p)
                .await?
        }
    };
    Ok(World { id, random_number })
}

async fn db(State(s): State<AppState>) -> Res<Json<World>> {
    fetch_world(&s.pool, random_id())
        .await
        .map(Json)
        .map_err(internal)
}

async fn fetch_many(pool: &Pool, n: usize) -> Result<Vec<World>, sqlx::Error> {
    let mut worlds = Vec::with_capacity(n);
    for _ in 0..n {
        worlds.push(fetch_world(pool, random_id()).await?);
    }
    Ok(worlds)
}

async fn queries(State(s): State<AppState>, Query(p): Query<Params>) -> Res<Json<Vec<World>>> {
    fetch_many(&s.pool, count(&p))
        .await
        .map(Json)
        .map_err(internal)
}

async fn cached_queries(
    State(s): State<AppState>,
    Query(p): Query<CachedParams>,
) -> Json<Vec<World>> {
    let n = clamp(p.count.as_deref());
    Json((0..n).map(|_| s.cache[random_id() as usize - 1]).collect())
}

/// The whole `world` table, indexed by id - 1.
async fn load_cache(pool: &Pool) -> Result<Arc<[World]>, Box<dyn std::error::Error>> {
    const SQL: &str = "SELECT id, randomnumber FROM world ORDER BY id";
    let rows: Vec<(i32, i32)> = match pool {
        Pool::Pg(p) => sqlx::query_as(SQL).fetch_all(p).await?,
        Pool::Sqlite(p) => sqlx::query_as(SQL).fetch_all(p).await?,
    };
    if rows.len() != 10_000 || rows.iter().enumerate().any(|(i, r)| r.0 != i as i32 + 1) {
        return Err("the world table must hold ids 1..=10000".into());
    }
    Ok(rows
        .into_iter()
        .map(|(id, random_number)| World { id, random_number })
        .collect())
}

async fn updates(State(s): State<AppState>, Query(p): Query<Params>) -> Res<Json<Vec<World>>> {
    let mut worlds = fetch_many(&s.pool, count(&p)).await.map_err(internal)?;
    for w in &mut worlds {
        w.random_number = random_id();
    }
    // One statement for the batch, rows in id order (no deadlocks between requests).
    let mut sorted = worlds.clone();
    sorted.sort_by_key(|w| w.id);
    sorted.dedup_by_key(|w| w.id);
    match &s.pool {
        Pool::Pg(p) => {
            let ids: Vec<i32> = sorted.iter().map(|w| w.id).collect();
            let nums: Vec<i32> = sorted.iter().map(|w| w.random_number).collect();
            sqlx::query(
                "UPDATE world SET randomnumber = v.r FROM \
                 (SELECT unnest($1::int4[]) AS id, unnest($2::int4[]) AS r) AS v \
                 WHERE world.id = v.id",
            )
            .bind(ids)
            .bind(nums)
            .execute(p)
            .await
            .map_err(internal)?;
        }
        Pool::Sqlite(p) => {
            let mut tx = p.begin().await.map_err(internal)?;
            for w in &sorted {
                sqlx::query("UPDATE world SET randomnumber = ? WHERE id = ?")
                    .bind(w.random_number)
                    .bind(w.id)
                    .execute(&mut *tx)
                    .await
                    .map_err(internal)?;
            }
            tx.commit().await.map_err(internal)?;
        }
    }
    // Duplicated ids answer the value that was written last for them.
    for w in &mut worlds {
        if let Some(last) = sorted.iter().find(|x| x.id == w.id) {
            w.random_number = last.random_number;
        }
    }
    Ok(Json(worlds))
}

async fn fortunes(State(s): State<AppState>) -> Res<Html<String>> {
    let rows: Vec<(i32, String)> = match &s.pool {
        Pool::Pg(p) => sqlx::query_as("SELECT id, message FROM fortune")
            .fetch_all(p)
            .await
            .map_err(internal)?,
        Pool::Sqlite(p) => sqlx::query_as("SELECT id, message FROM fortune")
            .fetch_all(p)
            .await
            .map_err(internal)?,
    };
    let mut list: Vec<Fortune> = rows
        .into_iter()
        .map(|(id, message)| Fortune { id, message })
        .collect();
    list.push(Fortune {
        id: 0,
        message: "Additional fortune added at request time.".into(),
    });
    list.sort_by(|a, b| a.message.cmp(&b.message));
    let tmpl = s.env.get_template("fortunes.html").map_err(internal)?;
    tmpl.render(minijinja::value::Serde(FortunesPage { fortunes: list }))
        .map(Html)
        .map_err(internal)
}

/// ~200 µs of CPU: 3,000 chained SHA-256 rounds (the scaling test).
async fn cpu() -> String {
    hash_rounds(3000)
}

fn hash_rounds(n: usize) -> String {
    use sha2::{Digest, Sha256};
    let mut d = [0u8; 32];
    for _ in 0..n {
        d = Sha256::digest(d).into();
    }
    d.iter().map(|b| format!("{b:02x}")).collect()
}

async fn connect(url: &str, size: u32) -> Result<Pool, sqlx::Error> {
    if url.starts_with("postgres") {
        Ok(Pool::Pg(
            PgPoolOptions::new()
                .max_connections(size)
                .min_connections(size)
                .connect(url)
                .await?,
        ))
    } else {
        let opts: SqliteConnectOptions = url.parse()?;
        let opts = opts
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(10));
        Ok(Pool::Sqlite(
            SqlitePoolOptions::new()
                .max_connections(size)
                .connect_with(opts)
                .await?,
        ))
    }
}

async fn serve(addr: &str, url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let size = std::env::var("BENCH_POOL_SIZE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let pool = connect(url, size).await?;
    let mut env = minijinja::Environment::new();
    env.add_template("fortunes.html", TEMPLATE)?;
    let cache = load_cache(&pool).await?;
    let state = AppState {
        pool,
        env: Arc::new(env),
        cache,
    };
    let app = Router::new()
        .route("/plaintext", get(plaintext))
        .route("/json", get(json))
        .route("/db", get(db))
        .route("/queries", get(queries))
        .route("/cached-queries", get(cached_queries))
        .route("/updates", get(updates))
        .route("/fortunes", get(fortunes))
        .route("/cpu", get(cpu))
        .route("/items/{shop_id}", post(validated::validated))
        .with_state(state)
        .layer(axum::middleware::map_response(
            |mut r: Response| async move {
                r.headers_mut()
                    .insert(header::SERVER, HeaderValue::from_static("axum"));
                r
            },
        ));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("bench-te-axum listening on http://{addr}");
    axum::serve(listener, app).await?;
    Ok(())
}

async fn setup(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let pool = connect(url, 1).await?;
    let mut stmts = vec![
        "DROP TABLE IF EXISTS world".to_string(),
        "DROP TABLE IF EXISTS fortune".to_string(),
        "CREATE TABLE world (id integer NOT NULL PRIMARY KEY, randomnumber integer NOT NULL DEFAULT 0)".into(),
        "CREATE TABLE fortune (id integer NOT NULL PRIMARY KEY, message varchar(2048) NOT NULL)".into(),
    ];
    let mut values = Vec::new();
    for id in 1..=10_000 {
        values.push(format!("({id}, {})", random_id()));
    }
    for chunk in values.chunks(1000) {
        stmts.push(format!(
            "INSERT INTO world (id, randomnumber) VALUES {}",
            chunk.join(", ")
        ));
    }
    let fortunes: Vec<String> = FORTUNES
        .iter()
        .enumerate()
        .map(|(i, m)| format!("({}, '{}')", i + 1, m.replace('\'', "''")))
        .collect();
    stmts.push(format!(
        "INSERT INTO fortune (id, message) VALUES {}",
        fortunes.join(", ")
    ));
    if let Pool::Pg(_) = &pool {
        stmts.push("ANALYZE world".into());
        stmts.push("ANALYZE fortune".into());
    }
    for s in stmts {
        let q = sqlx::raw_sql(sqlx::AssertSqlSafe(s));
        match &pool {
            Pool::Pg(p) => {
                q.execute(p).await?;
            }
            Pool::Sqlite(p) => {
                q.execute(p).await?;
            }
        }
    }
    Ok(())
}

async fn admin(url: &str, sql: String) -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let result = rt.block_on(async {
        match arg(1) {
            "serve" => serve(arg(2), arg(3)).await,
            "setup" => setup(arg(2)).await,
            "createdb" => admin(arg(2), format!("CREATE DATABASE \"{}\"", arg(3))).await,
            "dropdb" => {
                admin(
                    arg(2),
                    format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", arg(3)),
                )
                .await
            }
            _ => Err(
                "usage: bench-te-axum serve ADDR URL | setup URL | createdb|dropdb ADMIN_URL NAME"
                    .into(),
            ),
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
