//! Database backends behind one handle: SQLite (the embedded default), PostgreSQL and
//! MySQL/MariaDB. Each backend module has the same parts: connection options, capability
//! flags ([`Features`]) and the DDL vocabulary the migrations' schema editor uses.
//!
//! SQL is built with sea-query for the backend's dialect and every value travels as a bound
//! parameter (bound by the drivers: rusqlite, tokio-postgres, sqlx for MySQL); identifiers are quoted by the builder.

mod db;
mod exec;
mod lite;
pub mod mysql;
mod pg;
mod pool;
pub mod postgres;
mod row;
pub mod sqlite;
mod tx;

pub use db::{Db, DbConfig};
pub use exec::{Conn, ExecResult, Executor};
pub use lite::{LiteError, LiteRow};
pub use pg::PgError;
pub use row::Row;
pub(crate) use row::{JsonAs, value_kind as row_value_kind};
pub use tx::{OnCommit, Tx, on_commit};

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite (file or memory), WAL mode, foreign keys on.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
}

impl Backend {
    /// The backend's name as written in URLs and messages.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
            Backend::MySql => "mysql",
        }
    }

    /// The capability flags of this backend (Django's `DatabaseFeatures`).
    pub fn features(self) -> Features {
        match self {
            Backend::Sqlite => sqlite::FEATURES,
            Backend::Postgres => postgres::FEATURES,
            Backend::MySql => mysql::FEATURES,
        }
    }

    /// Quote an identifier for this backend's SQL (`"name"` or `` `name` ``), doubling any
    /// quote character inside it.
    pub fn quote(self, ident: &str) -> String {
        let q = if self == Backend::MySql { '`' } else { '"' };
        let mut out = String::with_capacity(ident.len() + 2);
        out.push(q);
        for c in ident.chars() {
            if c == q {
                out.push(q);
            }
            out.push(c);
        }
        out.push(q);
        out
    }

    /// Build a sea-query statement for this backend: the SQL text and its bound values.
    pub fn build<S: Buildable>(self, stmt: &S) -> (String, sea_query::Values) {
        stmt.build_for(self)
    }
}

/// A sea-query statement that builds to SQL plus values.
pub trait Buildable {
    /// Build with the query builder of `backend`.
    fn build_for(&self, backend: Backend) -> (String, sea_query::Values);
}

macro_rules! buildable {
    ($($t:ty),*) => {$(
        impl Buildable for $t {
            fn build_for(&self, backend: Backend) -> (String, sea_query::Values) {
                match backend {
                    Backend::Sqlite => self.build(sea_query::SqliteQueryBuilder),
                    Backend::Postgres => self.build(sea_query::PostgresQueryBuilder),
                    Backend::MySql => self.build(sea_query::MysqlQueryBuilder),
                }
            }
        }
    )*};
}
buildable!(
    sea_query::SelectStatement,
    sea_query::InsertStatement,
    sea_query::UpdateStatement,
    sea_query::DeleteStatement
);

/// What a backend can do (Django's `features.py`). The ORM reads these instead of asking
/// "which backend is this?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// `INSERT ... RETURNING` is available.
    pub can_return_rows_from_insert: bool,
    /// `SAVEPOINT` works inside transactions.
    pub supports_savepoints: bool,
    /// DDL runs inside a transaction and rolls back with it.
    pub supports_transactional_ddl: bool,
    /// `ILIKE` exists (else `LOWER(x) LIKE LOWER(y)`).
    pub has_ilike: bool,
    /// `LIKE` is case-insensitive by default (MySQL's common collations, SQLite for ASCII).
    pub like_is_case_insensitive: bool,
    /// Most bound parameters one statement may carry.
    pub max_query_params: usize,
    /// `ALTER TABLE ... ALTER COLUMN` exists (SQLite rebuilds the table instead).
    pub can_alter_column: bool,
}
