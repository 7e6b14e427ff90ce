//! Running SQL: [`Executor`] is what every query method takes (a [`Db`] or a [`Tx`]).

use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sea_query::Values;
use sea_query_sqlx::SqlxValues;
use sqlx::{AssertSqlSafe, SqlSafeStr, SqlStr};

use crate::backend::db::Pool;
use crate::backend::tx::TxConn;
use crate::backend::{Backend, Db, Row, Tx};
use crate::error::Result;
use crate::observe::{self, Hint};

/// Where a query runs: a pooled connection or the connection of a transaction.
#[derive(Debug, Clone, Copy)]
pub enum Conn<'a> {
    /// A connection from the pool, per query.
    Db(&'a Db),
    /// The transaction's connection.
    Tx(&'a Tx),
}

/// Anything queries can run on: [`Db`], [`Tx`], or a reference to one.
pub trait Executor: Send + Sync {
    /// The connection to use.
    fn conn(&self) -> Conn<'_>;
}

impl Executor for Db {
    fn conn(&self) -> Conn<'_> {
        Conn::Db(self)
    }
}

impl Executor for Tx {
    fn conn(&self) -> Conn<'_> {
        Conn::Tx(self)
    }
}

impl Executor for Conn<'_> {
    fn conn(&self) -> Conn<'_> {
        *self
    }
}

impl<T: Executor + ?Sized> Executor for &T {
    fn conn(&self) -> Conn<'_> {
        (**self).conn()
    }
}

/// What a statement changed.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExecResult {
    /// Rows inserted, updated or deleted.
    pub rows_affected: u64,
    /// The id of the last inserted row (SQLite, MySQL).
    pub last_insert_id: Option<i64>,
}

/// SQL text to run: built for this query, or shared with the compiled-SQL cache (no copy
/// for sqlx, which keeps the same `Arc` as its prepared-statement key).
pub(crate) enum Sql {
    Owned(String),
    Shared(Arc<str>),
}

impl Sql {
    fn as_str(&self) -> &str {
        match self {
            Sql::Owned(s) => s,
            Sql::Shared(s) => s,
        }
    }

    /// The text for sqlx. Every Trellis statement is built by the ORM with its values as
    /// bound parameters (or is the user's explicit raw SQL), hence `AssertSqlSafe`.
    fn into_sqlx(self) -> SqlStr {
        match self {
            Sql::Owned(s) => AssertSqlSafe(s).into_sql_str(),
            Sql::Shared(s) => AssertSqlSafe(s).into_sql_str(),
        }
    }
}

impl From<String> for Sql {
    fn from(s: String) -> Self {
        Sql::Owned(s)
    }
}

impl From<Arc<str>> for Sql {
    fn from(s: Arc<str>) -> Self {
        Sql::Shared(s)
    }
}

/// Run a statement on the connection of `$self`: a pooled one checked out for this
/// statement, or the transaction's. SQLite runs `$lite` with `$c` bound to the
/// [`LiteConn`](crate::backend::lite::LiteConn) (synchronous); PostgreSQL runs `$pg` with
/// `$p` bound to the `&mut` [`PgConn`](crate::backend::pg::PgConn), MySQL `$my` with `$e`
/// bound to the `&mut` sqlx connection (both evaluate to a `Result` and may `.await`).
macro_rules! on_conn {
    ($self:expr, shared: $shared:expr, sqlite($sql:expr) |$c:ident| $lite:expr, postgres |$p:ident| $pg:expr, mysql |$e:ident| $my:expr) => {{
        match $self {
            Conn::Db(db) => match db.inner.pool() {
                Pool::Sqlite(pool) => {
                    // Writers queue for the write lock before taking a connection.
                    let _gate = match crate::backend::lite::is_read($sql) {
                        true => None,
                        false => Some(db.inner.write_gate.enter().await?),
                    };
                    let mut guard = pool.acquire().await?;
                    let $c = guard.conn();
                    $lite
                }
                Pool::Postgres(pool, shared) => {
                    use crate::backend::pg::{InFlight, Pick};
                    let pick = match $shared {
                        true => shared.pick().await?,
                        false => Pick::Own,
                    };
                    let pick = match pick {
                        Pick::Stalled(c) => match pool.try_acquire().await {
                            Some(own) => Err(own?),
                            None => Ok(InFlight::new(c)),
                        },
                        Pick::Shared(c) => Ok(c),
                        Pick::Own => Err(pool.acquire().await?),
                    };
                    match pick {
                        Ok(mut c) => on_conn!(@run c, $p, $pg),
                        Err(mut c) => on_conn!(@run c, $p, $pg),
                    }
                }
                Pool::MySql(pool) => {
                    let mut c = pool.acquire().await?;
                    on_conn!(@run c, $e, $my)
                }
            },
            Conn::Tx(tx) => {
                let mut guard = tx.lock_conn().await?;
                match &mut *guard {
                    TxConn::Sqlite(conn) => {
                        let $c = conn.conn();
                        $lite
                    }
                    TxConn::Postgres(c) => on_conn!(@run c, $p, $pg),
                    TxConn::MySql(c) => on_conn!(@run c, $e, $my),
                }
            }
        }
    }};
    // One statement on a pooled connection: marked running until it ends, so a
    // cancelled statement or a broken connection is not handed out again.
    (@run $c:ident, $e:ident, $body:expr) => {{
        let result: Result<_> = async {
            let $e = $c.start();
            $body
        }
        .await;
        $c.finish(match &result {
            Err(crate::error::Error::Database(e)) => Some(e),
            _ => None,
        });
        result
    }};
}

fn mysql_row(r: sqlx::mysql::MySqlRow) -> Row {
    Row::MySql(r)
}

impl<'a> Conn<'a> {
    /// The database behind this connection.
    pub fn db(&self) -> &'a Db {
        match self {
            Conn::Db(db) => db,
            Conn::Tx(tx) => tx.db(),
        }
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.db().backend()
    }

    /// Run a query and collect its rows.
    pub async fn fetch_all(&self, sql: String, values: Values) -> Result<Vec<Row>> {
        self.fetch_map(sql, values, None, Ok).await
    }

    /// Run a query and decode each row as it arrives with `f` (no intermediate row
    /// vector: each row is dropped once decoded, and decoding overlaps with the driver
    /// producing the next rows).
    pub(crate) async fn fetch_map<T, F>(
        &self,
        sql: impl Into<Sql>,
        values: Values,
        hint: Option<Hint>,
        mut f: F,
    ) -> Result<Vec<T>>
    where
        F: FnMut(Row) -> Result<T> + Send,
        T: Send,
    {
        use futures_util::TryStreamExt;
        let sql = sql.into();
        observe::observe(sql.as_str(), hint)?;
        tracing::debug!(target: "trellis::orm::sql", sql = %sql.as_str());
        let mut out = Vec::new();
        on_conn!(
            self,
            shared: crate::backend::pg::shareable(sql.as_str()),
            sqlite(sql.as_str()) | c | {
                for row in c.query(sql.as_str(), &values.0)? {
                    out.push(f(Row::Sqlite(row))?);
                }
                Ok::<_, crate::error::Error>(())
            },
            postgres | c | {
                c.query_map(
                    sql.as_str(),
                    &values.0,
                    |row| f(Row::Postgres(row)),
                    &mut out,
                )
                .await
            },
            mysql | e | {
                let q = sqlx::query_with(sql.into_sqlx(), SqlxValues(values));
                let mut rows = q.fetch(e);
                while let Some(row) = rows.try_next().await? {
                    out.push(f(mysql_row(row))?);
                }
                Ok(())
            }
        )?;
        Ok(out)
    }

    /// Run a query that returns at most one row (`LIMIT 1`, a one-row `INSERT ...
    /// RETURNING`) and decode that row: the driver stops after the first row, without
    /// the row stream's machinery.
    pub(crate) async fn fetch_optional_map<T, F>(
        &self,
        sql: impl Into<Sql>,
        values: Values,
        hint: Option<Hint>,
        f: F,
    ) -> Result<Option<T>>
    where
        F: FnOnce(Row) -> Result<T>,
    {
        let sql = sql.into();
        observe::observe(sql.as_str(), hint)?;
        tracing::debug!(target: "trellis::orm::sql", sql = %sql.as_str());
        let row = on_conn!(
            self,
            shared: crate::backend::pg::shareable(sql.as_str()),
            sqlite(sql.as_str()) | c | {
                Ok::<_, crate::error::Error>(
                    c.query_limit(sql.as_str(), &values.0, 1)?
                        .pop()
                        .map(Row::Sqlite),
                )
            },
            postgres | c | {
                Ok(c.query_first(sql.as_str(), &values.0)
                    .await?
                    .map(Row::Postgres))
            },
            mysql | e | {
                Ok(sqlx::query_with(sql.into_sqlx(), SqlxValues(values))
                    .fetch_optional(e)
                    .await?
                    .map(mysql_row))
            }
        )?;
        row.map(f).transpose()
    }

    /// Run a statement and report what it changed.
    pub async fn execute(&self, sql: String, values: Values) -> Result<ExecResult> {
        self.execute_sql(sql, values).await
    }

    /// [`execute`](Self::execute) for SQL owned or shared with a cache.
    pub(crate) async fn execute_sql(
        &self,
        sql: impl Into<Sql>,
        values: Values,
    ) -> Result<ExecResult> {
        let sql = sql.into();
        observe::observe(sql.as_str(), None)?;
        tracing::debug!(target: "trellis::orm::sql", sql = %sql.as_str());
        on_conn!(
            self,
            shared: crate::backend::pg::shareable(sql.as_str()),
            sqlite(sql.as_str()) | c | Ok(c.execute(sql.as_str(), &values.0)?),
            postgres | c | {
                Ok(ExecResult {
                    rows_affected: c.execute(sql.as_str(), &values.0).await?,
                    last_insert_id: None,
                })
            },
            mysql | e | {
                let r = sqlx::query_with(sql.into_sqlx(), SqlxValues(values))
                    .execute(e)
                    .await?;
                Ok(mysql_result(r))
            }
        )
    }

    /// Run SQL without parameters (DDL, transaction control); several statements are not
    /// allowed in one call on every backend, so send them one at a time.
    pub async fn execute_raw(&self, sql: &str) -> Result<ExecResult> {
        observe::observe(sql, None)?;
        tracing::debug!(target: "trellis::orm::sql", sql = %sql);
        on_conn!(
            self,
            shared: false,
            sqlite(sql) | c | Ok(c.execute_raw(sql)?),
            postgres | c | {
                Ok(ExecResult {
                    rows_affected: c.execute_simple(sql).await?,
                    last_insert_id: None,
                })
            },
            mysql | e | {
                let r = sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                    .execute(e)
                    .await?;
                Ok(mysql_result(r))
            }
        )
    }

    /// Stream the rows of a query (for big results): rows arrive as the database sends them,
    /// through a bounded channel, so memory stays flat. (SQLite inside a transaction is
    /// the exception: the transaction holds its connection, so the rows are read first,
    /// then handed out.)
    pub fn fetch_stream(&self, sql: String, values: Values) -> BoxStream<'static, Result<Row>> {
        self.fetch_stream_sql(sql, values)
    }

    pub(crate) fn fetch_stream_sql(
        &self,
        sql: impl Into<Sql>,
        values: Values,
    ) -> BoxStream<'static, Result<Row>> {
        let sql = sql.into();
        if let Err(e) = observe::observe(sql.as_str(), None) {
            return futures_util::stream::once(async move { Err(e) }).boxed();
        }
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Row>>(64);
        let owner = match self {
            Conn::Db(db) => Owned::Db((*db).clone()),
            Conn::Tx(t) => Owned::Tx((*t).clone()),
        };
        tokio::spawn(async move {
            let conn = match &owner {
                Owned::Db(db) => Conn::Db(db),
                Owned::Tx(t) => Conn::Tx(t),
            };
            // SQLite outside a transaction: step the rows on a blocking thread, each sent
            // as it is read.
            if let Conn::Db(db) = conn
                && let Pool::Sqlite(p) = db.inner.pool()
            {
                let gate = if crate::backend::lite::is_read(sql.as_str()) {
                    None
                } else {
                    match db.inner.write_gate.enter().await {
                        Ok(g) => Some(g),
                        Err(e) => {
                            let _ = tx.send(Err(e.into())).await;
                            return;
                        }
                    }
                };
                let guard = match p.acquire().await {
                    Ok(g) => g,
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                };
                let _ = tokio::task::spawn_blocking(move || {
                    let _gate = gate;
                    let mut guard = guard;
                    let result = guard.conn().query_each(sql.as_str(), &values.0, |row| {
                        tx.blocking_send(Ok(Row::Sqlite(row))).is_ok()
                    });
                    if let Err(e) = result {
                        let _ = tx.blocking_send(Err(e.into()));
                    }
                })
                .await;
                return;
            }
            let result: Result<()> = async {
                on_conn!(
                    conn,
                    shared: false,
                    sqlite(sql.as_str()) | c | {
                        // In a transaction (its connection is held by the Tx): read, then send.
                        for row in c.query(sql.as_str(), &values.0)? {
                            if tx.send(Ok(Row::Sqlite(row))).await.is_err() {
                                break;
                            }
                        }
                        Ok(())
                    },
                    postgres | c | {
                        Ok(c.query_each(sql.as_str(), &values.0, |row| {
                            let row = row.map(Row::Postgres).map_err(Into::into);
                            let tx = &tx;
                            async move { tx.send(row).await.is_ok() }
                        })
                        .await?)
                    },
                    mysql | e | {
                        let q = sqlx::query_with(sql.into_sqlx(), SqlxValues(values));
                        let mut s = q.fetch(e);
                        while let Some(row) = s.next().await {
                            let row = row.map(mysql_row).map_err(Into::into);
                            if tx.send(row).await.is_err() {
                                break;
                            }
                        }
                        Ok(())
                    }
                )
            }
            .await;
            if let Err(e) = result {
                let _ = tx.send(Err(e)).await;
            }
        });
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|r| (r, rx)) })
            .boxed()
    }
}

enum Owned {
    Db(Db),
    Tx(Tx),
}

fn mysql_result(r: sqlx::mysql::MySqlQueryResult) -> ExecResult {
    ExecResult {
        rows_affected: r.rows_affected(),
        last_insert_id: Some(r.last_insert_id() as i64),
    }
}
