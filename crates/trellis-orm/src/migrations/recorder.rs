//! The history table `trellis_migrations (id, app, name, applied)` and the lock that keeps
//! two processes from migrating one database at once (Django's `recorder.py`).

use std::collections::BTreeSet;

use sea_query::{Expr, ExprTrait, Query};

use crate::backend::{Backend, Conn, Db, Tx};
use crate::error::Result;
use crate::field::{FieldKind, FieldType};
use crate::migrations::graph::Key;
use crate::schema::column_type;

/// The history table's name.
pub const TABLE: &str = "trellis_migrations";

/// The lock's name / key (PostgreSQL advisory locks take a number: "trellis" in ASCII).
const LOCK_NAME: &str = "trellis_migrations";
const PG_LOCK_KEY: i64 = 0x0074_7265_6c6c_6973;

/// `CREATE TABLE IF NOT EXISTS` for the history table.
pub fn create_table_sql(backend: Backend) -> String {
    let q = |s: &str| backend.quote(s);
    let pk = column_type(backend, &FieldKind::BigAuto);
    let autoinc = if backend == Backend::Sqlite {
        " AUTOINCREMENT"
    } else {
        ""
    };
    let mut sql = format!(
        "CREATE TABLE IF NOT EXISTS {} ({} {pk} NOT NULL PRIMARY KEY{autoinc}, {} varchar(255) NOT NULL, {} varchar(255) NOT NULL, {} {} NOT NULL)",
        q(TABLE),
        q("id"),
        q("app"),
        q("name"),
        q("applied"),
        column_type(backend, &FieldKind::DateTime)
    );
    if backend == Backend::MySql {
        sql.push_str(" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
    }
    sql
}

/// Whether the history table exists.
pub async fn has_table(conn: Conn<'_>) -> Result<bool> {
    let sql = match conn.backend() {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
        Backend::Postgres => {
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        }
        Backend::MySql => {
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"
        }
    };
    let rows = conn
        .fetch_all(sql.to_string(), sea_query::Values(vec![TABLE.into()]))
        .await?;
    Ok(!rows.is_empty())
}

/// Create the history table if it is missing.
pub async fn ensure_table(conn: Conn<'_>) -> Result<()> {
    conn.execute_raw(&create_table_sql(conn.backend())).await?;
    Ok(())
}

/// The applied migrations, `(app, name)` (empty when the table does not exist).
pub async fn applied(conn: Conn<'_>) -> Result<BTreeSet<Key>> {
    if !has_table(conn).await? {
        return Ok(BTreeSet::new());
    }
    let stmt = Query::select()
        .columns(["app", "name"])
        .from(TABLE)
        .to_owned();
    let (sql, values) = conn.backend().build(&stmt);
    let rows = conn.fetch_all(sql, values).await?;
    let mut out = BTreeSet::new();
    for row in rows {
        out.insert((String::decode(&row, 0)?, String::decode(&row, 1)?));
    }
    Ok(out)
}

/// Record `app.name` as applied.
pub async fn record_applied(conn: Conn<'_>, app: &str, name: &str) -> Result<()> {
    let stmt = Query::insert()
        .into_table(TABLE)
        .columns(["app", "name", "applied"])
        .values_panic([app.into(), name.into(), chrono::Utc::now().into()])
        .to_owned();
    let (sql, values) = conn.backend().build(&stmt);
    conn.execute(sql, values).await?;
    Ok(())
}

/// Forget `app.name` (it was unapplied).
pub async fn record_unapplied(conn: Conn<'_>, app: &str, name: &str) -> Result<()> {
    let stmt = Query::delete()
        .from_table(TABLE)
        .and_where(Expr::col("app").eq(app))
        .and_where(Expr::col("name").eq(name))
        .to_owned();
    let (sql, values) = conn.backend().build(&stmt);
    conn.execute(sql, values).await?;
    Ok(())
}

/// The migration lock: a transaction on a connection of its own, holding
///
/// - SQLite: the database's write lock (`BEGIN IMMEDIATE`), taken with foreign-key
///   enforcement off on that connection (so table rebuilds cannot cascade); the
///   migrations then run inside this transaction, one savepoint each;
/// - PostgreSQL: `pg_advisory_xact_lock`, released when the transaction ends; the
///   migrations run inside it, one savepoint each;
/// - MySQL/MariaDB: `GET_LOCK` on the connection (DDL commits implicitly there, so the
///   migrations run outside it, statement by statement).
///
/// Whoever takes the lock second waits, then reads the applied set afresh.
#[derive(Debug)]
pub struct MigrationLock {
    pub(crate) tx: Tx,
    backend: Backend,
}

impl MigrationLock {
    /// Take the lock (waits for another migrating process to finish).
    pub async fn acquire(db: &Db) -> Result<MigrationLock> {
        let backend = db.backend();
        let tx = match backend {
            Backend::Sqlite => {
                let mut attempts = 0;
                loop {
                    match db.begin_with_setup(&["PRAGMA foreign_keys = OFF"]).await {
                        Ok(tx) => break tx,
                        // Another process holds the write lock for longer than the busy
                        // timeout: keep waiting (a migration run can be long).
                        Err(e) if attempts < 60 && is_busy(&e) => attempts += 1,
                        Err(e) => return Err(e),
                    }
                }
            }
            Backend::Postgres => {
                let tx = db.begin().await?;
                Conn::Tx(&tx)
                    .execute_raw(&format!("SELECT pg_advisory_xact_lock({PG_LOCK_KEY})"))
                    .await?;
                tx
            }
            Backend::MySql => {
                let tx = db.begin().await?;
                Conn::Tx(&tx)
                    .execute_raw(&format!("SELECT GET_LOCK('{LOCK_NAME}', 3600)"))
                    .await?;
                tx
            }
        };
        Ok(MigrationLock { tx, backend })
    }

    /// The connection migrations run on: the lock's transaction where DDL is
    /// transactional, else the pool.
    pub fn conn(&self) -> Conn<'_> {
        if self.backend.features().supports_transactional_ddl {
            Conn::Tx(&self.tx)
        } else {
            Conn::Db(self.tx.db())
        }
    }

    /// Release the lock, committing what was done under it.
    pub async fn release(self) -> Result<()> {
        let db = self.tx.db().clone();
        if self.backend == Backend::MySql {
            Conn::Tx(&self.tx)
                .execute_raw(&format!("SELECT RELEASE_LOCK('{LOCK_NAME}')"))
                .await?;
        }
        self.tx.commit().await?;
        if self.backend == Backend::Sqlite {
            // In-memory SQLite keeps its one connection: turn enforcement back on.
            Conn::Db(&db)
                .execute_raw("PRAGMA foreign_keys = ON")
                .await?;
        }
        Ok(())
    }
}

fn is_busy(e: &crate::Error) -> bool {
    let s = e.to_string();
    s.contains("database is locked") || s.contains("busy")
}
