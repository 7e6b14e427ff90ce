//! Raw axum + tokio-postgres contender of the TechEmpower-style suite (`bench/run`), laid
//! out as TechEmpower's `axum [postgresql]` entry: one thread per core, each running its
//! own single-threaded tokio runtime, its own listener on the shared port (`SO_REUSEPORT`)
//! and its own PostgreSQL connection with its statements prepared once. A request never
//! waits for a pool: the queries of all the requests a core is serving are pipelined on that
//! core's connection (and the N queries of `/queries` are issued together). The ceiling of
//! the PostgreSQL workloads; it serves nothing else (`/plaintext` answers the readiness
//! probe).
//!
//! Usage: `bench-te-axum-pg ADDR DATABASE_URL` (PostgreSQL only). The number of cores is
//! the number of CPUs the process may run on (so `taskset -c 0` gives one thread and one
//! connection). The `world` table is read once at start-up into the `/cached-queries`
//! cache, shared by all threads.

use std::cell::Cell;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::stream::{FuturesUnordered, TryStreamExt};
use serde::{Deserialize, Serialize};
use tokio_postgres::{Client, NoTls, Statement};
use tower_http::set_header::SetResponseHeaderLayer;

const TEMPLATE: &str = "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>{% for f in fortunes %}<tr><td>{{ f.id }}</td><td>{{ f.message }}</td></tr>{% endfor %}</table></body></html>";

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
struct FortunesPage {
    fortunes: Vec<Fortune>,
}

/// One core's connection and its prepared statements.
struct PgConnection {
    client: Client,
    world: Statement,
    fortune: Statement,
    update: Statement,
}

impl PgConnection {
    async fn connect(url: &str) -> Result<Self, tokio_postgres::Error> {
        let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                eprintln!("bench-te-axum-pg: connection error: {e}");
            }
        });
        let world = client
            .prepare("SELECT id, randomnumber FROM world WHERE id = $1")
            .await?;
        let fortune = client.prepare("SELECT id, message FROM fortune").await?;
        // One statement per batch, rows in id order (no deadlocks between requests).
        let update = client
            .prepare(
                "UPDATE world SET randomnumber = v.r FROM \
                 (SELECT unnest($1::int4[]) AS id, unnest($2::int4[]) AS r) AS v \
                 WHERE world.id = v.id",
            )
            .await?;
        Ok(PgConnection {
            client,
            world,
            fortune,
            update,
        })
    }

    async fn world(&self, id: i32) -> Result<World, tokio_postgres::Error> {
        let row = self.client.query_one(&self.world, &[&id]).await?;
        Ok(World {
            id: row.get(0),
            random_number: row.get(1),
        })
    }

    /// `n` random worlds, one query each, sent together (pipelined on the connection).
    async fn worlds(&self, n: usize) -> Result<Vec<World>, tokio_postgres::Error> {
        (0..n)
            .map(|_| self.world(random_id()))
            .collect::<FuturesUnordered<_>>()
            .try_collect()
            .await
    }
}

#[derive(Clone)]
struct AppState {
    db: Arc<PgConnection>,
    cache: Arc<[World]>,
    env: Arc<minijinja::Environment<'static>>,
}

#[derive(Deserialize)]
struct Params {
    queries: Option<String>,
    count: Option<String>,
}

fn clamp(v: Option<&str>) -> usize {
    v.and_then(|q| q.parse::<usize>().ok())
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

fn internal(e: impl std::fmt::Display) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
}

async fn plaintext() -> &'static str {
    "Hello, World!"
}

async fn db(State(s): State<AppState>) -> Result<Json<World>, Response> {
    s.db.world(random_id()).await.map(Json).map_err(internal)
}

async fn queries(
    State(s): State<AppState>,
    Query(p): Query<Params>,
) -> Result<Json<Vec<World>>, Response> {
    s.db.worlds(clamp(p.queries.as_deref()))
        .await
        .map(Json)
        .map_err(internal)
}

async fn cached_queries(State(s): State<AppState>, Query(p): Query<Params>) -> Json<Vec<World>> {
    let n = clamp(p.count.as_deref());
    Json((0..n).map(|_| s.cache[random_id() as usize - 1]).collect())
}

async fn updates(
    State(s): State<AppState>,
    Query(p): Query<Params>,
) -> Result<Json<Vec<World>>, Response> {
    let mut worlds =
        s.db.worlds(clamp(p.queries.as_deref()))
            .await
            .map_err(internal)?;
    for w in &mut worlds {
        w.random_number = random_id();
    }
    let mut sorted = worlds.clone();
    sorted.sort_by_key(|w| w.id);
    sorted.dedup_by_key(|w| w.id);
    let ids: Vec<i32> = sorted.iter().map(|w| w.id).collect();
    let nums: Vec<i32> = sorted.iter().map(|w| w.random_number).collect();
    s.db.client
        .execute(&s.db.update, &[&ids, &nums])
        .await
        .map_err(internal)?;
    // A repeated id answers the value written for it.
    for w in &mut worlds {
        if let Ok(i) = ids.binary_search(&w.id) {
            w.random_number = nums[i];
        }
    }
    Ok(Json(worlds))
}

async fn fortunes(State(s): State<AppState>) -> Result<Html<String>, Response> {
    let rows =
        s.db.client
            .query(&s.db.fortune, &[])
            .await
            .map_err(internal)?;
    let mut list: Vec<Fortune> = rows
        .iter()
        .map(|r| Fortune {
            id: r.get(0),
            message: r.get(1),
        })
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

/// One core's server: its connection, its listener on the shared port.
async fn serve(
    addr: std::net::SocketAddr,
    url: String,
    cache: Arc<[World]>,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut env = minijinja::Environment::new();
    env.add_template("fortunes.html", TEMPLATE)?;
    let state = AppState {
        db: Arc::new(PgConnection::connect(&url).await?),
        cache,
        env: Arc::new(env),
    };
    let app = Router::new()
        .route("/plaintext", get(plaintext))
        .route("/db", get(db))
        .route("/queries", get(queries))
        .route("/cached-queries", get(cached_queries))
        .route("/updates", get(updates))
        .route("/fortunes", get(fortunes))
        .with_state(state)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::SERVER,
            HeaderValue::from_static("axum"),
        ));
    let socket = match addr {
        std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.set_nodelay(true)?;
    socket.bind(addr)?;
    axum::serve(socket.listen(1024)?, app).await?;
    Ok(())
}

/// The whole `world` table, indexed by id - 1.
async fn load_cache(url: &str) -> Result<Arc<[World]>, Box<dyn std::error::Error>> {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await?;
    let task = tokio::spawn(conn);
    let mut worlds: Vec<World> = client
        .query("SELECT id, randomnumber FROM world ORDER BY id", &[])
        .await?
        .iter()
        .map(|r| World {
            id: r.get(0),
            random_number: r.get(1),
        })
        .collect();
    drop(client);
    task.await??;
    worlds.sort_by_key(|w| w.id);
    if worlds.len() != 10_000 || worlds.iter().enumerate().any(|(i, w)| w.id != i as i32 + 1) {
        return Err("the world table must hold ids 1..=10000".into());
    }
    Ok(worlds.into())
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(addr), Some(url)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: bench-te-axum-pg ADDR DATABASE_URL");
        return std::process::ExitCode::from(2);
    };
    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        let addr: std::net::SocketAddr = addr.parse()?;
        let cache = runtime()?.block_on(load_cache(url))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads: Vec<_> = (0..cores)
            .map(|_| {
                let (url, cache) = (url.clone(), cache.clone());
                std::thread::spawn(move || -> Result<(), String> {
                    let rt = runtime().map_err(|e| e.to_string())?;
                    rt.block_on(serve(addr, url, cache))
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        eprintln!("bench-te-axum-pg listening on http://{addr} ({cores} thread(s))");
        for t in threads {
            t.join().map_err(|_| "a server thread panicked")??;
        }
        Ok(())
    })();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
