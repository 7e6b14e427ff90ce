//! [`Db`]: the handle to one database (a connection pool), cheap to clone.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::backend::Backend;
use crate::backend::lite::{LiteConn, LiteOptions, WriteGate};
use crate::backend::pg::{PgConn, PgOptions, PgShared};
use crate::backend::pool::{ConnPool, PoolOptions};
use crate::error::{Error, Result};

/// How to connect: the URL and the pool's size (from the project's settings).
#[derive(Debug, Clone)]
pub struct DbConfig {
    /// `sqlite://db.sqlite3` (relative to the working directory), `sqlite:///abs/path.db`,
    /// `sqlite::memory:`, `postgres://...`, `mysql://...` (MariaDB too).
    pub url: String,
    /// The most connections the pool opens. On PostgreSQL, up to half of them (one per
    /// CPU core) are shared by the plain reads outside transactions, pipelined; the
    /// rest serve everything else, one statement or transaction at a time.
    pub max_connections: u32,
    /// Connections kept open when idle.
    pub min_connections: u32,
    /// How long a query waits for a free connection before failing.
    pub acquire_timeout: Duration,
    /// Ping an idle connection before reusing it, and replace it if it is dead (Django's
    /// `CONN_HEALTH_CHECKS`). Off by default: a connection that died while idle fails one
    /// query and is then replaced; on, every checkout costs one more round trip.
    pub health_checks: bool,
}

impl DbConfig {
    /// A configuration for `url` with default pool sizes (10 connections, SQLite 5).
    pub fn new(url: impl Into<String>) -> Self {
        DbConfig {
            url: url.into(),
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(30),
            health_checks: false,
        }
    }
}

pub(crate) enum Pool {
    Sqlite(Arc<ConnPool<LiteConn>>),
    Postgres(Arc<ConnPool<PgConn>>, Arc<PgShared>),
    MySql(Arc<ConnPool<sqlx::MySqlConnection>>),
}

/// Parsed connection and pool options; the pool itself is made on first use, inside the
/// async runtime (so a `Db` can be created by synchronous start-up code).
enum Options {
    Sqlite(LiteOptions, PoolOptions),
    Postgres(PgOptions, PoolOptions),
    MySql(sqlx::mysql::MySqlConnectOptions, PoolOptions),
}

pub(crate) struct DbInner {
    options: Options,
    pool: std::sync::OnceLock<Pool>,
    pub(crate) backend: Backend,
    pub(crate) display_url: String,
    /// SQLite: one writer at a time, queued in this process.
    pub(crate) write_gate: WriteGate,
}

impl DbInner {
    /// The pool (created, without connecting, on first use).
    pub(crate) fn pool(&self) -> &Pool {
        self.pool.get_or_init(|| match &self.options {
            Options::Sqlite(c, p) => Pool::Sqlite(ConnPool::new(c.clone(), p.clone())),
            Options::Postgres(c, p) => {
                // One shared connection per core, at most half the connections; the
                // rest for transactions and for statements that do not share.
                let shared = (p.max_connections as usize / 2)
                    .min(std::thread::available_parallelism().map_or(1, |n| n.get()));
                let own = PoolOptions {
                    max_connections: p.max_connections - shared as u32,
                    ..p.clone()
                };
                Pool::Postgres(
                    ConnPool::new(c.clone(), own),
                    Arc::new(PgShared::new(c.clone(), shared, p.max_lifetime)),
                )
            }
            Options::MySql(c, p) => Pool::MySql(ConnPool::new(c.clone(), p.clone())),
        })
    }
}

/// A database: a pool of connections to SQLite, PostgreSQL or MySQL/MariaDB.
///
/// Queries take any [`Executor`](crate::Executor): a `Db` (each query on a pooled
/// connection) or a [`Tx`](crate::Tx) (inside a transaction).
///
/// ```
/// # async fn demo() -> trellis_orm::Result<()> {
/// let db = trellis_orm::Db::connect("sqlite::memory:").await?;
/// assert_eq!(db.backend(), trellis_orm::Backend::Sqlite);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Db {
    pub(crate) inner: Arc<DbInner>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.inner.backend)
            .field("url", &self.inner.display_url)
            .finish()
    }
}

/// The URL with any password replaced by `***`, for logs and errors.
pub(crate) fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((creds, host)) = rest.split_once('@')
        && let Some((user, _)) = creds.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_string()
}

impl Db {
    /// Connect with default pool sizes.
    pub async fn connect(url: &str) -> Result<Db> {
        Db::connect_with(DbConfig::new(url)).await
    }

    /// Connect with a full configuration (opens one connection now, to fail early).
    pub async fn connect_with(config: DbConfig) -> Result<Db> {
        let db = Db::connect_lazy_with(config)?;
        match db.inner.pool() {
            Pool::Sqlite(p) => drop(p.acquire().await?),
            Pool::Postgres(p, _) => drop(p.acquire().await?),
            Pool::MySql(p) => drop(p.acquire().await?),
        }
        Ok(db)
    }

    /// A pool that connects on first use (no I/O now, no async runtime needed: for
    /// start-up code that is not async). The URL is checked now.
    pub fn connect_lazy_with(config: DbConfig) -> Result<Db> {
        let url = config.url.trim();
        let display_url = redact(url);
        let bad = |message: String| Error::Url {
            url: display_url.clone(),
            message,
        };
        let scheme = url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let (options, backend) = match scheme.as_str() {
            "sqlite" => {
                let opts = LiteOptions::parse(url).map_err(bad)?;
                let memory = opts.is_memory();
                // Each connection to `:memory:` is its own database: keep exactly one, forever.
                let max = if memory {
                    1
                } else {
                    config.max_connections.max(1)
                };
                let pool = PoolOptions {
                    max_connections: max,
                    min_connections: config.min_connections.min(max),
                    acquire_timeout: config.acquire_timeout,
                    idle_timeout: (!memory).then_some(Duration::from_secs(600)),
                    max_lifetime: (!memory).then_some(Duration::from_secs(1800)),
                    health_checks: config.health_checks,
                    keep_on_cancel: true,
                };
                (Options::Sqlite(opts, pool), Backend::Sqlite)
            }
            "postgres" | "postgresql" => {
                let opts = PgOptions::parse(url).map_err(bad)?;
                let pool = PoolOptions::server(&config);
                (Options::Postgres(opts, pool), Backend::Postgres)
            }
            "mysql" | "mariadb" => {
                let url = if scheme == "mariadb" {
                    format!("mysql{}", &url["mariadb".len()..])
                } else {
                    url.to_string()
                };
                let opts = sqlx::mysql::MySqlConnectOptions::from_str(&url)
                    .map_err(|e| bad(e.to_string()))?
                    .charset("utf8mb4")
                    .timezone(Some(String::from("+00:00")));
                let pool = PoolOptions::server(&config);
                (Options::MySql(opts, pool), Backend::MySql)
            }
            _ => {
                return Err(bad(format!(
                    "unknown scheme {scheme:?}; use sqlite://, postgres:// or mysql://"
                )));
            }
        };
        Ok(Db {
            inner: Arc::new(DbInner {
                options,
                pool: std::sync::OnceLock::new(),
                backend,
                display_url,
                write_gate: WriteGate::new(Duration::from_secs(10)),
            }),
        })
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The URL (password redacted).
    pub fn url(&self) -> &str {
        &self.inner.display_url
    }

    /// Close every connection (waits for checked-out ones to come back); queries after
    /// this fail.
    pub async fn close(&self) {
        let Some(pool) = self.inner.pool.get() else {
            return;
        };
        match pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p, shared) => {
                shared.close();
                p.close().await
            }
            Pool::MySql(p) => p.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("sqlite://db.sqlite3"), "sqlite://db.sqlite3");
    }
}
