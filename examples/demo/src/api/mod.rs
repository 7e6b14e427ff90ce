//! The JSON API app, mounted at `/api` (errors answered as JSON).

mod deps;
pub mod items;
mod migrations;

use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use trellis::prelude::*;

pub use deps::{ApiClient, CurrentUser, DbSession, TxLog};

#[derive(Deserialize, JsonSchema)]
struct HelloQuery {
    /// Who to greet.
    #[schemars(length(max = 100))]
    name: Option<String>,
}

/// Say hello.
///
/// `GET /api/hello?name=Ada` answers `{"message": "Hello, Ada!"}`; without a name, the
/// world is greeted.
#[handler]
async fn hello(Query(q): Query<HelloQuery>) -> Json<Value> {
    let name = q
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or("World");
    Json(json!({ "message": format!("Hello, {name}!") }))
}

/// Echo a JSON body.
///
/// Answers the JSON body it was sent, unchanged.
#[handler]
async fn echo(Json(body): Json<Value>) -> Json<Value> {
    Json(body)
}

/// Compute a Fibonacci number.
///
/// CPU-bound work, run on the blocking pool (a plain `fn` routed with `blocking`), never on
/// the event loop; the answer names the thread that ran it. `n` is at most 42.
#[handler]
fn fib(Path(n): Path<u32>) -> Result<Json<Value>, HttpError> {
    if n > 42 {
        return Err(HttpError::bad_request(format!(
            "n must be at most 42, got {n}"
        )));
    }
    fn f(n: u32) -> u64 {
        if n < 2 {
            u64::from(n)
        } else {
            f(n - 1) + f(n - 2)
        }
    }
    Ok(Json(
        json!({ "n": n, "fib": f(n), "thread": std::thread::current().name().unwrap_or("?") }),
    ))
}

/// Who is calling.
///
/// Built by dependencies: `CurrentUser` needs `DbSession` and `ApiClient` (from the
/// `User-Agent` header); `DbSession` is resolved once per request, shared, and torn down
/// after the response.
#[handler]
async fn whoami(Dep(user): Dep<CurrentUser>, Dep(db): Dep<DbSession>) -> Json<Value> {
    Json(json!({
        "user": user.name,
        "client": user.client,
        "session": db.id,
        "same_session": user.session == db.id,
    }))
}

#[derive(Deserialize, JsonSchema)]
struct SlowQuery {
    /// How long to take, in milliseconds.
    #[schemars(range(max = 30_000))]
    ms: Option<u64>,
}

/// `GET /api/slow?ms=2000`: a slow request (try Ctrl-C during it: it finishes first).
async fn slow(Query(q): Query<SlowQuery>) -> Json<Value> {
    let ms = q.ms.unwrap_or(2000);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Json(json!({ "slept_ms": ms }))
}

/// `GET /api/panic`: a handler that panics; the server answers 500 and keeps serving.
async fn panics() -> &'static str {
    panic!("this handler panics on purpose (demo)")
}

/// `GET /api/stream`: a streamed body, one line at a time.
async fn stream() -> Response {
    let lines =
        futures_util::stream::iter((1..=5).map(|i| Ok::<_, std::io::Error>(format!("line {i}\n"))));
    (
        [("content-type", "text/plain; charset=utf-8")],
        Body::from_stream(lines),
    )
        .into_response()
}

/// The API's models and migrations, for [`trellis::db::Database`].
pub fn models() -> trellis::db::AppModels {
    use trellis::orm::Model;
    trellis::db::AppModels {
        label: "api",
        migrations_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/migrations").into(),
        migrations: migrations::migrations,
        models: vec![items::ItemRow::meta],
    }
}

/// The installable API app.
pub fn app() -> AppConfig {
    let router = items::routes(Router::api());
    AppConfig::new("api").state(TxLog::default()).routes(
        router
            .route("/hello", get(hello).name("hello"))
            .route("/echo", post(echo).name("echo"))
            .route("/fib/{n:int}", get(blocking(fib)).name("fib"))
            .route("/whoami", get(whoami).name("whoami"))
            .route("/slow", get(slow).name("slow").hidden())
            .route("/panic", get(panics).name("panic").hidden())
            .route("/stream", get(stream).name("stream").hidden()),
    )
}
