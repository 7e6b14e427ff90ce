//! [`Db`]: the handle to one database (a connection pool), cheap to clone.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::backend::Backend;
use crate::error::{Error, Result};

/// How to connect: the URL and the pool's size (from the project's settings).
#[derive(Debug, Clone)]
pub struct DbConfig {
    /// `sqlite://db.sqlite3` (relative to the working directory), `sqlite:///abs/path.db`,
    /// `sqlite::memory:`, `postgres://...`, `mysql://...` (MariaDB too).
    pub url: String,
    /// The most connections the pool opens.
    pub max_connections: u32,
    /// Connections kept open when idle.
    pub min_connections: u32,
    /// How long a query waits for a free connection before failing.
    pub acquire_timeout: Duration,
}

impl DbConfig {
    /// A configuration for `url` with default pool sizes (10 connections, SQLite 5).
    pub fn new(url: impl Into<String>) -> Self {
        DbConfig {
            url: url.into(),
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(30),
        }
    }
}

pub(crate) enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
    MySql(sqlx::MySqlPool),
}

pub(crate) struct DbInner {
    pub(crate) pool: Pool,
    pub(crate) backend: Backend,
    pub(crate) display_url: String,
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
        match &db.inner.pool {
            Pool::Sqlite(p) => drop(p.acquire().await?),
            Pool::Postgres(p) => drop(p.acquire().await?),
            Pool::MySql(p) => drop(p.acquire().await?),
        }
        Ok(db)
    }

    /// A pool that connects on first use (no I/O now; for start-up code that is not async).
    /// The URL is checked now.
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
        let (pool, backend) = match scheme.as_str() {
            "sqlite" => {
                let memory = url.contains(":memory:") || url.contains("mode=memory");
                let mut opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                    .map_err(|e| bad(e.to_string()))?
                    .create_if_missing(true)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10));
                if !memory {
                    opts = opts
                        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal);
                }
                // Each connection to `:memory:` is its own database: keep exactly one, forever.
                let max = if memory {
                    1
                } else {
                    config.max_connections.max(1)
                };
                let pool = sqlx::pool::PoolOptions::<sqlx::Sqlite>::new()
                    .max_connections(max)
                    .min_connections(config.min_connections.min(max))
                    .acquire_timeout(config.acquire_timeout)
                    .idle_timeout(if memory {
                        None
                    } else {
                        Some(Duration::from_secs(600))
                    })
                    .max_lifetime(if memory {
                        None
                    } else {
                        Some(Duration::from_secs(1800))
                    })
                    .connect_lazy_with(opts);
                (Pool::Sqlite(pool), Backend::Sqlite)
            }
            "postgres" | "postgresql" => {
                let opts = sqlx::postgres::PgConnectOptions::from_str(url)
                    .map_err(|e| bad(e.to_string()))?;
                let pool = sqlx::pool::PoolOptions::<sqlx::Postgres>::new()
                    .max_connections(config.max_connections.max(1))
                    .min_connections(config.min_connections)
                    .acquire_timeout(config.acquire_timeout)
                    .connect_lazy_with(opts);
                (Pool::Postgres(pool), Backend::Postgres)
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
                let pool = sqlx::pool::PoolOptions::<sqlx::MySql>::new()
                    .max_connections(config.max_connections.max(1))
                    .min_connections(config.min_connections)
                    .acquire_timeout(config.acquire_timeout)
                    .connect_lazy_with(opts);
                (Pool::MySql(pool), Backend::MySql)
            }
            _ => {
                return Err(bad(format!(
                    "unknown scheme {scheme:?}; use sqlite://, postgres:// or mysql://"
                )));
            }
        };
        Ok(Db {
            inner: Arc::new(DbInner {
                pool,
                backend,
                display_url,
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

    /// Close every connection (waits for checked-out ones to come back).
    pub async fn close(&self) {
        match &self.inner.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
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
