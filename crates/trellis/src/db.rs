//! The database battery: the ORM ([`trellis_orm`], re-exported as [`orm`](crate::orm))
//! plugged into a project.
//!
//! [`Database`] lists the apps that have models and migrations; [`install`](Database::install)
//! adds to the project:
//! - a [`Db`] pool in app state (`State<Db>` in handlers), from the `database_url` setting
//!   (`DATABASE_URL`; default `sqlite://db.sqlite3` in the working directory) and
//!   `database_max_connections`, `database_health_checks`;
//! - the commands `migrate`, `makemigrations`, `showmigrations`, `sqlmigrate`;
//! - in debug, the N+1 detector around every request (a warning naming the relation and
//!   the fix when one query shape repeats more than `n_plus_one_threshold` times).
//!
//! Handlers get a per-request transaction with the [`Atomic`] dependency (committed in
//! teardown after a successful response, rolled back after a failure) and turn ORM errors
//! into responses with [`DbError`] (`DoesNotExist` -> 404).

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use futures_util::future::{BoxFuture, Either};

use trellis_http::app::AppConfig;
use trellis_http::deps::{Dependency, Resolver};
use trellis_http::extract::Request;
use trellis_http::response::{HttpError, IntoResponse, Response};
use trellis_http::{App, AppState, StatusCode};
use trellis_orm::observe::{self, Detect};
use trellis_orm::{Db, DbConfig, ModelMeta, Tx};

pub use crate::db_commands::migrate;

/// The default database when none is configured: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://db.sqlite3";

/// One app's models and migrations.
#[derive(Clone)]
pub struct AppModels {
    /// The app label (`blog`).
    pub label: &'static str,
    /// The app's `migrations/` source folder, where `makemigrations` writes.
    pub migrations_dir: PathBuf,
    /// The migrations compiled into the binary (the folder's generated `mod.rs`).
    pub migrations: fn() -> Vec<trellis_orm::migrations::Migration>,
    /// The app's models, referenced models first.
    pub models: Vec<fn() -> &'static ModelMeta>,
}

impl std::fmt::Debug for AppModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppModels")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// The project's database configuration: the apps with models.
#[derive(Debug, Clone, Default)]
pub struct Database {
    apps: Vec<AppModels>,
    n_plus_one_threshold: usize,
}

impl Database {
    /// No apps yet; the N+1 detector warns past 10 repeats of one query shape.
    pub fn new() -> Self {
        Database {
            apps: Vec::new(),
            n_plus_one_threshold: 10,
        }
    }

    /// Add an app's models and migrations.
    pub fn app(mut self, app: AppModels) -> Self {
        self.apps.push(app);
        self
    }

    /// How many runs of one query shape per request the N+1 detector allows.
    pub fn n_plus_one_threshold(mut self, n: usize) -> Self {
        self.n_plus_one_threshold = n;
        self
    }

    /// The apps.
    pub fn apps(&self) -> &[AppModels] {
        &self.apps
    }

    /// Install into `app`: the pool, the commands and (in debug) the N+1 detector.
    pub fn install(self, app: App) -> App {
        for a in &self.apps {
            for m in &a.models {
                let _ = m(); // reading the metadata registers the model
            }
        }
        let threshold = self.n_plus_one_threshold;
        let config = crate::db_commands::commands(
            AppConfig::new("db").on_build(move |cx| {
                let url = cx
                    .settings
                    .database_url
                    .clone()
                    .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
                let db = Db::connect_lazy_with(DbConfig {
                    max_connections: cx.settings.database_max_connections,
                    health_checks: cx.settings.database_health_checks,
                    ..DbConfig::new(url)
                })
                .map_err(|e| e.to_string())?;
                cx.states.insert(db);
                cx.states.insert(NPlusOne {
                    debug: cx.settings.debug,
                    threshold,
                });
                Ok(())
            }),
            self.clone(),
        )
        .state(self);
        app.install(config).middleware(DetectLayer)
    }
}

#[derive(Debug, Clone, Copy)]
struct NPlusOne {
    debug: bool,
    threshold: usize,
}

/// Middleware: in debug, run each request in an observation scope of the N+1 detector.
/// Outside debug it costs nothing per request but reading a cached decision: the inner
/// service's future is returned as is (no box, no scope).
#[derive(Debug, Clone, Copy)]
struct DetectLayer;

impl<S> tower::Layer<S> for DetectLayer {
    type Service = Detecting<S>;
    fn layer(&self, inner: S) -> Detecting<S> {
        Detecting {
            inner,
            threshold: Arc::new(OnceLock::new()),
        }
    }
}

#[derive(Debug, Clone)]
struct Detecting<S> {
    inner: S,
    /// `Some(threshold)` in debug, `None` otherwise; read from app state on the first
    /// request (the settings are known only once the app is built).
    threshold: Arc<OnceLock<Option<usize>>>,
}

impl<S> tower::Service<Request> for Detecting<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, BoxFuture<'static, Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let threshold = *self.threshold.get_or_init(|| {
            AppState::current()
                .and_then(|s| s.get::<NPlusOne>().copied())
                .filter(|c| c.debug)
                .map(|c| c.threshold)
        });
        let fut = self.inner.call(req);
        match threshold {
            None => Either::Left(fut),
            Some(threshold) => Either::Right(Box::pin(async move {
                observe::scope(Detect::Warn { threshold }, fut).await.0
            })),
        }
    }
}

/// The project's database from app state (for commands and code outside handlers).
pub fn db_of(state: &AppState) -> Result<Db, String> {
    state
        .get::<Db>()
        .cloned()
        .ok_or_else(|| "the database battery is not installed (Database::install)".to_string())
}

/// An ORM error as an HTTP answer: `DoesNotExist` -> 404 `{"detail": "Not Found"}`,
/// everything else -> 500 (logged; no internals in the body).
#[derive(Debug)]
pub struct DbError(pub trellis_orm::Error);

impl From<trellis_orm::Error> for DbError {
    fn from(e: trellis_orm::Error) -> Self {
        DbError(e)
    }
}

impl From<DbError> for HttpError {
    fn from(e: DbError) -> Self {
        match e.0 {
            trellis_orm::Error::DoesNotExist { .. } => HttpError::not_found("Not Found"),
            trellis_orm::Error::Protected { .. } => {
                HttpError::new(StatusCode::CONFLICT, e.0.to_string())
            }
            other => {
                tracing::error!(target: "trellis::db", error = %other, "database error");
                HttpError::internal(other)
            }
        }
    }
}

impl IntoResponse for DbError {
    fn into_response(self) -> Response {
        HttpError::from(self).into_response()
    }
}

/// A per-request transaction (Django's `ATOMIC_REQUESTS` for one handler): queries on it
/// run in one transaction, committed in teardown after a successful response and rolled
/// back after a failure (4xx/5xx or a panic).
///
/// ```no_run
/// use trellis::prelude::*;
/// use trellis::db::{Atomic, DbError};
///
/// async fn handler(Dep(Atomic(tx)): Dep<Atomic>) -> Result<&'static str, DbError> {
///     // ... queries with &tx ...
///     let _ = tx;
///     Ok("done")
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Atomic(pub Tx);

impl Dependency for Atomic {
    async fn resolve(cx: &mut Resolver<'_>) -> Result<Self, HttpError> {
        let db: Db = cx.app_state()?;
        let tx = db.begin().await.map_err(|e| HttpError::from(DbError(e)))?;
        let end = tx.clone();
        cx.on_teardown(move |outcome| async move {
            let result = if outcome.failed() { end.rollback().await } else { end.commit().await };
            if let Err(e) = result {
                tracing::error!(target: "trellis::db", error = %e, "ending the request transaction failed");
            }
        });
        Ok(Atomic(tx))
    }
}
