//! Test databases: one per test, on the backend the environment asks for, removed at the
//! end. SQLite needs nothing; PostgreSQL and MySQL tests read their server URL from
//! `TRELLIS_TEST_POSTGRES` / `TRELLIS_TEST_MYSQL` and get a schema / database of their own.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::backend::{Backend, Db, DbConfig};
use crate::error::Result;

/// A throwaway database for one test. Call [`TestDb::teardown`] at the end (it drops the
/// schema or database; a SQLite file is deleted).
#[derive(Debug)]
pub struct TestDb {
    /// The database handle.
    pub db: Db,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    File(std::path::PathBuf),
    PgSchema { admin: Db, schema: String },
    MySqlDatabase { admin: Db, name: String },
}

/// A backend to test on.
#[derive(Debug, Clone)]
pub enum Target {
    /// A temporary SQLite file.
    Sqlite,
    /// A PostgreSQL server (URL).
    Postgres(String),
    /// A MySQL/MariaDB server (URL).
    MySql(String),
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique_name() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("trellis_t{}_{}_{n}", std::process::id(), nanos % 1_000_000)
}

impl TestDb {
    /// A fresh SQLite file database in the system's temporary directory.
    pub async fn sqlite() -> Result<TestDb> {
        let path = std::env::temp_dir().join(format!("{}.sqlite3", unique_name()));
        let db = Db::connect(&format!("sqlite://{}", path.display())).await?;
        Ok(TestDb {
            db,
            cleanup: Cleanup::File(path),
        })
    }

    /// A fresh schema on the PostgreSQL server at `url`.
    pub async fn postgres(url: &str) -> Result<TestDb> {
        let admin = Db::connect_with(DbConfig {
            max_connections: 2,
            ..DbConfig::new(url)
        })
        .await?;
        let schema = unique_name();
        crate::backend::Conn::Db(&admin)
            .execute_raw(&format!(
                "CREATE SCHEMA {}",
                Backend::Postgres.quote(&schema)
            ))
            .await?;
        let sep = if url.contains('?') { '&' } else { '?' };
        let db = Db::connect(&format!("{url}{sep}options=-csearch_path%3D{schema}")).await?;
        Ok(TestDb {
            db,
            cleanup: Cleanup::PgSchema { admin, schema },
        })
    }

    /// A fresh database on the MySQL/MariaDB server at `url` (its path is replaced).
    pub async fn mysql(url: &str) -> Result<TestDb> {
        let admin = Db::connect_with(DbConfig {
            max_connections: 2,
            ..DbConfig::new(url)
        })
        .await?;
        let name = unique_name();
        crate::backend::Conn::Db(&admin)
            .execute_raw(&format!(
                "CREATE DATABASE {} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
                Backend::MySql.quote(&name)
            ))
            .await?;
        let base = match url.rfind('/') {
            Some(i) if i > url.find("://").map_or(0, |p| p + 2) => &url[..i],
            _ => url,
        };
        let db = Db::connect(&format!("{base}/{name}")).await?;
        Ok(TestDb {
            db,
            cleanup: Cleanup::MySqlDatabase { admin, name },
        })
    }

    /// Every backend this run can test: SQLite always, PostgreSQL and MySQL when their
    /// variables are set (a `skipped:` line is printed for each one that is not).
    pub fn targets() -> Vec<Target> {
        let mut out = vec![Target::Sqlite];
        match std::env::var("TRELLIS_TEST_POSTGRES") {
            Ok(url) if !url.is_empty() => out.push(Target::Postgres(url)),
            _ => println!("skipped: PostgreSQL backend (set TRELLIS_TEST_POSTGRES)"),
        }
        match std::env::var("TRELLIS_TEST_MYSQL") {
            Ok(url) if !url.is_empty() => out.push(Target::MySql(url)),
            _ => println!("skipped: MySQL/MariaDB backend (set TRELLIS_TEST_MYSQL)"),
        }
        out
    }

    /// A fresh database on `target`.
    pub async fn create(target: &Target) -> Result<TestDb> {
        match target {
            Target::Sqlite => TestDb::sqlite().await,
            Target::Postgres(url) => TestDb::postgres(url).await,
            Target::MySql(url) => TestDb::mysql(url).await,
        }
    }

    /// Close the connections and remove the database.
    pub async fn teardown(self) -> Result<()> {
        self.db.close().await;
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PgSchema { admin, schema } => {
                crate::backend::Conn::Db(&admin)
                    .execute_raw(&format!(
                        "DROP SCHEMA {} CASCADE",
                        Backend::Postgres.quote(&schema)
                    ))
                    .await?;
                admin.close().await;
            }
            Cleanup::MySqlDatabase { admin, name } => {
                crate::backend::Conn::Db(&admin)
                    .execute_raw(&format!("DROP DATABASE {}", Backend::MySql.quote(&name)))
                    .await?;
                admin.close().await;
            }
        }
        Ok(())
    }
}
