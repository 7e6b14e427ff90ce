//! SQLite connections (rusqlite), run on the calling thread.
//!
//! sqlx's SQLite driver gives every connection a worker thread and sends each statement
//! there and its rows back: two thread hops per query, which cost more than a point
//! query itself. SQLite is a library, so Trellis calls it where the query is made:
//!
//! - a statement runs inline on the async worker thread, as long as it is quick: a
//!   progress handler counts SQLite's virtual-machine steps, and a statement that runs
//!   past the budget (about a millisecond of work) is interrupted and run again under
//!   [`tokio::task::block_in_place`], so the other tasks of that worker move to another
//!   thread while it runs. Only statements whose interruption has no effect are cut
//!   short (reads, and any statement outside an explicit transaction, which SQLite rolls
//!   back as a whole); a write inside a transaction runs to its end inline;
//! - a statement that has to wait for a lock (`SQLITE_BUSY`: another connection is
//!   writing) does not wait inline either: it is run again under `block_in_place` with
//!   the busy timeout (10 s), as sqlx's worker thread would wait;
//! - prepared statements are cached per connection, values are always bound parameters,
//!   and they are stored as sqlx stored them (dates as ISO text, UUIDs as 16-byte blobs,
//!   decimals and JSON as text), so databases written by earlier versions read the same.
//!
//! On a current-thread runtime (tests) "off the event loop" is simply inline.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value as Lv, ValueRef};
use sea_query::{OptionEnum, Value};

use crate::backend::ExecResult;

/// One writer at a time per database, as SQLite allows no more: the writers of this
/// process queue here, in order, instead of polling in SQLite's busy handler (which
/// sleeps 1, 2, 5, 10, ... 100 ms between attempts and collapses under contention).
/// Taken by a transaction from `BEGIN` to its end, and by every statement outside a
/// transaction that is not a `SELECT`. Readers never wait (WAL).
#[derive(Debug)]
pub(crate) struct WriteGate {
    permits: Arc<tokio::sync::Semaphore>,
    timeout: Duration,
}

impl WriteGate {
    pub(crate) fn new(timeout: Duration) -> WriteGate {
        WriteGate {
            permits: Arc::new(tokio::sync::Semaphore::new(1)),
            timeout,
        }
    }

    /// Wait for the write lock (up to the busy timeout, as SQLite would).
    pub(crate) async fn enter(&self) -> Result<tokio::sync::OwnedSemaphorePermit, sqlx::Error> {
        if let Ok(p) = self.permits.clone().try_acquire_owned() {
            return Ok(p);
        }
        match tokio::time::timeout(self.timeout, self.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            Ok(Err(_)) => Err(sqlx::Error::PoolClosed),
            Err(_) => Err(sqlx::Error::Database(Box::new(LiteError {
                code: Some(5),
                message: format!(
                    "database is locked: another writer held it for {} s",
                    self.timeout.as_secs()
                ),
            }))),
        }
    }
}

/// Whether `sql` only reads (a `SELECT`, `VALUES` or `EXPLAIN`): such statements need no
/// write lock. Anything else, including `WITH ...` (which may end in a write), takes it.
pub(crate) fn is_read(sql: &str) -> bool {
    // Leading ASCII white space and parentheses skipped byte by byte (other white space
    // makes it a write: the safe side).
    let start = sql
        .bytes()
        .position(|b| !(b.is_ascii_whitespace() || b == b'('))
        .unwrap_or(sql.len());
    let s = &sql.as_bytes()[start..];
    let head = |kw: &str| {
        s.get(..kw.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(kw.as_bytes()))
    };
    match s.first() {
        Some(b's' | b'S') => head("select"),
        Some(b'v' | b'V') => head("values"),
        Some(b'e' | b'E') => head("explain"),
        _ => false,
    }
}

/// Progress-handler period, in SQLite virtual-machine instructions.
const TICK_OPS: i32 = 4_000;
/// Ticks a statement may run inline before it is moved off the event loop (~1 ms).
const INLINE_TICKS: u32 = 100;

/// Where and how to open connections (from a `sqlite:` URL).
#[derive(Debug, Clone)]
pub(crate) struct LiteOptions {
    /// `None`: an in-memory database (one per connection; the pool keeps exactly one).
    pub(crate) path: Option<PathBuf>,
    pub(crate) flags: rusqlite::OpenFlags,
    pub(crate) busy_timeout: Duration,
}

impl LiteOptions {
    /// Parse `sqlite://relative.db`, `sqlite:///absolute.db`, `sqlite:file.db`,
    /// `sqlite::memory:`, with optional `?mode=ro|rw|rwc|memory` and
    /// `&cache=shared|private`.
    pub(crate) fn parse(url: &str) -> Result<LiteOptions, String> {
        let rest = url
            .get(..7)
            .filter(|s| s.eq_ignore_ascii_case("sqlite:"))
            .map(|_| &url[7..])
            .ok_or_else(|| "a SQLite URL starts with sqlite:".to_string())?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        use rusqlite::OpenFlags as F;
        let mut flags = F::SQLITE_OPEN_READ_WRITE | F::SQLITE_OPEN_CREATE;
        let mut cache = F::empty();
        let mut memory = path == ":memory:" || path.is_empty();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match (key, value) {
                ("mode", "ro") => flags = F::SQLITE_OPEN_READ_ONLY,
                ("mode", "rw") => flags = F::SQLITE_OPEN_READ_WRITE,
                ("mode", "rwc") => flags = F::SQLITE_OPEN_READ_WRITE | F::SQLITE_OPEN_CREATE,
                ("mode", "memory") => memory = true,
                ("mode", other) => {
                    return Err(format!(
                        "unknown mode {other:?} (use ro, rw, rwc or memory)"
                    ));
                }
                ("cache", "shared") => cache = F::SQLITE_OPEN_SHARED_CACHE,
                ("cache", "private") => cache = F::SQLITE_OPEN_PRIVATE_CACHE,
                ("cache", other) => {
                    return Err(format!("unknown cache {other:?} (use shared or private)"));
                }
                (other, _) => return Err(format!("unknown SQLite URL option {other:?}")),
            }
        }
        flags |= cache;
        flags |= F::SQLITE_OPEN_NO_MUTEX | F::SQLITE_OPEN_URI;
        Ok(LiteOptions {
            path: (!memory).then(|| PathBuf::from(path)),
            flags,
            busy_timeout: Duration::from_secs(10),
        })
    }

    /// Whether this is an in-memory database.
    pub(crate) fn is_memory(&self) -> bool {
        self.path.is_none()
    }
}

/// State shared with the connection's progress handler.
#[derive(Default)]
struct Budget {
    ticks: AtomicU32,
    interruptible: AtomicBool,
    retrying: AtomicBool,
}

impl Budget {
    /// Let the progress handler cut the prepared statement short once past the budget,
    /// if interrupting it has no effect (and this is not already the off-loop retry).
    fn arm(&self, can_be_cut: bool) {
        let arm = can_be_cut && !self.retrying.load(Ordering::Relaxed);
        self.interruptible.store(arm, Ordering::Relaxed);
    }
}

/// The column names of the statements a connection ran, by SQL text: the rows of a query
/// share them, and so do the queries of a statement after the first (instead of copying
/// them out of SQLite every time).
#[derive(Default)]
struct ColumnNames(HashMap<Box<str>, Named, foldhash::fast::RandomState>);

/// A statement's column names, and the statement's run and re-prepare counts when they
/// were last known to be right.
struct Named {
    names: Arc<[Box<str>]>,
    runs: i32,
    reprepares: i32,
}

/// Statements whose column names are kept per connection at most (as many as rusqlite's
/// statement cache keeps statements); emptied when full.
const MAX_COLUMN_NAMES: usize = 128;

impl ColumnNames {
    /// The column names of `stmt`, prepared from `sql`, once its first step is made.
    ///
    /// A statement SQLite prepared again after a schema change may name its columns
    /// differently (`SELECT *`), and so may a statement prepared anew after rusqlite's
    /// cache dropped it. Kept names are used as they are when the statement is the one
    /// they were read from, run once more since and never prepared again: SQLite counts
    /// its runs (from 1, kept across re-preparing) and re-preparations. Otherwise they are
    /// compared with SQLite's (without copying) and replaced if they differ. Runs outside
    /// this path (`execute`) forget the statement's names, see [`forget`](Self::forget).
    fn of(&mut self, sql: &str, stmt: &rusqlite::Statement<'_>) -> Arc<[Box<str>]> {
        use rusqlite::StatementStatus::{RePrepare, Run};
        let runs = stmt.get_status(Run);
        let reprepares = stmt.get_status(RePrepare);
        if let Some(named) = self.0.get_mut(sql) {
            let same = named.runs >= 1 && runs == named.runs + 1 && reprepares == named.reprepares;
            if same || same_names(stmt, &named.names) {
                named.runs = runs;
                named.reprepares = reprepares;
                return named.names.clone();
            }
        }
        let names: Arc<[Box<str>]> = stmt.column_names().into_iter().map(Box::from).collect();
        if self.0.len() >= MAX_COLUMN_NAMES {
            self.0.clear();
        }
        let named = Named {
            names: names.clone(),
            runs,
            reprepares,
        };
        self.0.insert(sql.into(), named);
        names
    }

    /// Forget the names of `sql`'s statement, run outside [`of`](Self::of): its run count
    /// no longer tells whether it is the statement they were read from.
    fn forget(&mut self, sql: &str) {
        if !self.0.is_empty() {
            self.0.remove(sql);
        }
    }
}

fn same_names(stmt: &rusqlite::Statement<'_>, names: &[Box<str>]) -> bool {
    let n = stmt.column_count();
    n == names.len()
        && (0..n).all(|i| matches!(stmt.column_name(i), Ok(name) if name == &*names[i]))
}

/// One SQLite connection.
pub(crate) struct LiteConn {
    conn: rusqlite::Connection,
    names: ColumnNames,
    budget: Arc<Budget>,
    busy_timeout: Duration,
}

impl LiteConn {
    /// Open a connection: foreign keys on; for a file, WAL journal and
    /// `synchronous = NORMAL` (as Django recommends for SQLite in production).
    pub(crate) fn open(opts: &LiteOptions) -> Result<LiteConn, sqlx::Error> {
        let conn = match &opts.path {
            Some(path) => rusqlite::Connection::open_with_flags(path, opts.flags),
            None => rusqlite::Connection::open_in_memory_with_flags(opts.flags),
        }
        .map_err(lite_error)?;
        let setup = if opts.path.is_some() {
            "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
        } else {
            "PRAGMA foreign_keys = ON;"
        };
        conn.execute_batch(setup).map_err(lite_error)?;
        // The query planner stability guarantee: a prepared statement keeps its plan
        // whatever values are bound. Without it, a statement whose plan may depend on a
        // bound value (a `LIMIT ?`, as every `get()` has, or a `LIKE ?`) is marked
        // expired at every new binding and parsed and planned again at every run.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map_err(lite_error)?;
        conn.busy_timeout(Duration::ZERO).map_err(lite_error)?;
        conn.set_prepared_statement_cache_capacity(128);
        let budget = Arc::new(Budget::default());
        let b = budget.clone();
        conn.progress_handler(
            TICK_OPS,
            Some(move || {
                let ticks = b.ticks.fetch_add(1, Ordering::Relaxed) + 1;
                ticks > INLINE_TICKS && b.interruptible.load(Ordering::Relaxed)
            }),
        )
        .map_err(lite_error)?;
        Ok(LiteConn {
            conn,
            names: ColumnNames::default(),
            budget,
            busy_timeout: opts.busy_timeout,
        })
    }

    /// Run `f` inline; if it was interrupted for running long or found the database
    /// locked, run it again off the event loop, waiting for locks.
    fn run<T>(
        &mut self,
        mut f: impl FnMut(&rusqlite::Connection, &mut ColumnNames, &Budget) -> rusqlite::Result<T>,
    ) -> Result<T, sqlx::Error> {
        let budget = &*self.budget;
        budget.ticks.store(0, Ordering::Relaxed);
        budget.interruptible.store(false, Ordering::Relaxed);
        budget.retrying.store(false, Ordering::Relaxed);
        let names = &mut self.names;
        match f(&self.conn, names, budget) {
            Err(e) if retry_off_loop(&e) => {
                budget.retrying.store(true, Ordering::Relaxed);
                budget.interruptible.store(false, Ordering::Relaxed);
                let conn = &self.conn;
                let timeout = self.busy_timeout;
                off_loop(|| {
                    conn.busy_timeout(timeout)?;
                    let result = f(conn, names, budget);
                    conn.busy_timeout(Duration::ZERO)?;
                    result
                })
                .map_err(lite_error)
            }
            other => other.map_err(lite_error),
        }
    }

    /// Run a query and collect its rows.
    pub(crate) fn query(
        &mut self,
        sql: &str,
        values: &[Value],
    ) -> Result<Vec<LiteRow>, sqlx::Error> {
        self.query_limit(sql, values, usize::MAX)
    }

    /// Run a query and collect at most `limit` rows.
    pub(crate) fn query_limit(
        &mut self,
        sql: &str,
        values: &[Value],
        limit: usize,
    ) -> Result<Vec<LiteRow>, sqlx::Error> {
        self.run(|conn, names, budget| {
            let mut stmt = conn.prepare_cached(sql)?;
            budget.arm(conn.is_autocommit() || stmt.readonly());
            bind(&mut stmt, values)?;
            // A small limit (`get()`'s 21, `first()`'s 1) usually finds one row.
            let mut out = Vec::with_capacity(usize::from(limit <= 21));
            if limit > 0 {
                each_row(&mut stmt, sql, names, |row| {
                    out.push(row);
                    out.len() < limit
                })?;
            }
            Ok(out)
        })
    }

    /// Run a query on a blocking thread, handing each row to `each` as it is read (until
    /// it returns `false`): waits for locks, never cut short.
    pub(crate) fn query_each(
        &mut self,
        sql: &str,
        values: &[Value],
        mut each: impl FnMut(LiteRow) -> bool,
    ) -> Result<(), sqlx::Error> {
        self.budget.interruptible.store(false, Ordering::Relaxed);
        self.budget.retrying.store(true, Ordering::Relaxed);
        let conn = &self.conn;
        let names = &mut self.names;
        conn.busy_timeout(self.busy_timeout).map_err(lite_error)?;
        let result = (|| {
            let mut stmt = conn.prepare_cached(sql)?;
            bind(&mut stmt, values)?;
            each_row(&mut stmt, sql, names, &mut each)?;
            Ok(())
        })();
        conn.busy_timeout(Duration::ZERO).map_err(lite_error)?;
        result.map_err(lite_error)
    }

    /// Run a statement with bound values.
    pub(crate) fn execute(
        &mut self,
        sql: &str,
        values: &[Value],
    ) -> Result<ExecResult, sqlx::Error> {
        self.run(|conn, names, budget| {
            let mut stmt = conn.prepare_cached(sql)?;
            budget.arm(conn.is_autocommit() || stmt.readonly());
            bind(&mut stmt, values)?;
            names.forget(sql);
            // Step through any rows (`INSERT ... RETURNING` run as a statement).
            let mut rows = stmt.raw_query();
            while rows.next()?.is_some() {}
            Ok(ExecResult {
                rows_affected: conn.changes(),
                last_insert_id: Some(conn.last_insert_rowid()),
            })
        })
    }

    /// Run SQL without parameters (one or more statements; rows ignored).
    pub(crate) fn execute_raw(&mut self, sql: &str) -> Result<ExecResult, sqlx::Error> {
        // Transaction control and DDL are never cut short.
        self.run(|conn, _, _| {
            conn.execute_batch(sql)?;
            Ok(ExecResult {
                rows_affected: conn.changes(),
                last_insert_id: Some(conn.last_insert_rowid()),
            })
        })
    }
}

/// Whether an error means "run it again off the event loop".
fn retry_off_loop(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::OperationInterrupted)
    )
}

/// Run blocking `f` without stalling the tasks of this async worker: under
/// `block_in_place` on a multi-thread runtime, else (current-thread runtime, no runtime)
/// inline.
pub(crate) fn off_loop<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Step through the rows of a bound statement (prepared from `sql`), handing each to
/// `each` until it returns `false`.
fn each_row(
    stmt: &mut rusqlite::Statement<'_>,
    sql: &str,
    names: &mut ColumnNames,
    mut each: impl FnMut(LiteRow) -> bool,
) -> rusqlite::Result<()> {
    let mut rows = stmt.raw_query();
    let mut columns: Option<Arc<[Box<str>]>> = None;
    while let Some(row) = rows.next()? {
        // Named once the first step is made: a statement SQLite had to prepare again
        // (after a schema change) is prepared again by that step.
        let columns = columns.get_or_insert_with(|| names.of(sql, row.as_ref()));
        let row = LiteRow {
            columns: columns.clone(),
            values: read_row(row, columns.len())?,
        };
        if !each(row) {
            break;
        }
    }
    Ok(())
}

/// The `n` values of a row, owned.
fn read_row(row: &rusqlite::Row<'_>, n: usize) -> rusqlite::Result<Vec<Lv>> {
    let mut values = Vec::with_capacity(n);
    for i in 0..n {
        values.push(match row.get_ref(i)? {
            ValueRef::Null => Lv::Null,
            ValueRef::Integer(v) => Lv::Integer(v),
            ValueRef::Real(v) => Lv::Real(v),
            ValueRef::Text(t) => Lv::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Lv::Blob(b.to_vec()),
        });
    }
    Ok(values)
}

fn bind(stmt: &mut rusqlite::Statement<'_>, values: &[Value]) -> rusqlite::Result<()> {
    for (i, v) in values.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, Param(v))?;
    }
    Ok(())
}

/// A sea-query value as a SQLite parameter, stored as sqlx stored it.
struct Param<'a>(&'a Value);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use ToSqlOutput::{Borrowed, Owned};
        fn int(v: Option<i64>) -> Option<ToSqlOutput<'static>> {
            v.map(|i| ToSqlOutput::Owned(Lv::Integer(i)))
        }
        fn text(v: Option<String>) -> Option<ToSqlOutput<'static>> {
            v.map(|s| ToSqlOutput::Owned(Lv::Text(s)))
        }
        let out = match self.0 {
            Value::Bool(v) => int(v.map(i64::from)),
            Value::TinyInt(v) => int(v.map(i64::from)),
            Value::SmallInt(v) => int(v.map(i64::from)),
            Value::Int(v) => int(v.map(i64::from)),
            Value::BigInt(v) => int(*v),
            Value::TinyUnsigned(v) => int(v.map(i64::from)),
            Value::SmallUnsigned(v) => int(v.map(i64::from)),
            Value::Unsigned(v) => int(v.map(i64::from)),
            Value::BigUnsigned(v) => match v {
                Some(u) => Some(Owned(Lv::Integer(i64::try_from(*u).map_err(|_| {
                    rusqlite::Error::ToSqlConversionFailure(
                        format!("{u} does not fit SQLite's 64-bit integers").into(),
                    )
                })?))),
                None => None,
            },
            Value::Float(v) => v.map(|f| Owned(Lv::Real(f64::from(f)))),
            Value::Double(v) => v.map(|f| Owned(Lv::Real(f))),
            Value::String(v) => v.as_deref().map(|s| Borrowed(ValueRef::Text(s.as_bytes()))),
            Value::Enum(OptionEnum::Some(e)) => Some(Borrowed(ValueRef::Text(e.value.as_bytes()))),
            Value::Enum(OptionEnum::None(_)) => None,
            Value::Char(v) => text(v.map(String::from)),
            Value::Bytes(v) => v.as_deref().map(|b| Borrowed(ValueRef::Blob(b))),
            Value::Json(v) => text(
                v.as_deref()
                    .map(serde_json::to_string)
                    .transpose()
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?,
            ),
            Value::ChronoDate(v) => text(v.map(|d| d.format("%F").to_string())),
            Value::ChronoTime(v) => text(v.map(|t| t.format("%T%.f").to_string())),
            Value::ChronoDateTime(v) => text(v.map(|t| t.format("%F %T%.f").to_string())),
            Value::ChronoDateTimeUtc(v) => text(v.map(rfc3339)),
            Value::ChronoDateTimeLocal(v) => text(v.map(rfc3339)),
            Value::ChronoDateTimeWithTimeZone(v) => text(v.map(rfc3339)),
            Value::Uuid(v) => v.as_ref().map(|u| Borrowed(ValueRef::Blob(u.as_bytes()))),
            Value::Decimal(v) => text(v.map(|d| d.to_string())),
            #[allow(unreachable_patterns)]
            other => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("SQLite cannot store {other:?}").into(),
                ));
            }
        };
        Ok(out.unwrap_or(Owned(Lv::Null)))
    }
}

fn rfc3339<Tz: chrono::TimeZone>(t: chrono::DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// A row read from SQLite: the column names (shared by the rows of one query) and the
/// values.
#[derive(Debug, Clone)]
pub struct LiteRow {
    columns: Arc<[Box<str>]>,
    values: Vec<Lv>,
}

impl LiteRow {
    /// The number of columns.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The name of column `idx`.
    pub fn column_name(&self, idx: usize) -> Option<&str> {
        self.columns.get(idx).map(|c| &**c)
    }

    /// The value of column `idx` as SQLite stores it.
    pub fn value(&self, idx: usize) -> Option<&rusqlite::types::Value> {
        self.values.get(idx)
    }

    /// Column `idx` decoded as `T`.
    pub(crate) fn get<T: LiteDecode>(&self, idx: usize) -> Result<T, String> {
        match self.values.get(idx) {
            Some(v) => T::lite_decode(v),
            None => Err(format!(
                "no column #{idx} (the row has {})",
                self.values.len()
            )),
        }
    }
}

/// A Rust type read from a SQLite value (the conversions sqlx's SQLite driver made).
pub(crate) trait LiteDecode: Sized {
    fn lite_decode(v: &Lv) -> Result<Self, String>;
}

fn mismatch(v: &Lv, want: &str) -> String {
    let got = match v {
        Lv::Null => "NULL",
        Lv::Integer(_) => "INTEGER",
        Lv::Real(_) => "REAL",
        Lv::Text(_) => "TEXT",
        Lv::Blob(_) => "BLOB",
    };
    format!("a {got} value cannot be read as {want}")
}

macro_rules! lite_int {
    ($($t:ty),*) => {$(
        impl LiteDecode for $t {
            fn lite_decode(v: &Lv) -> Result<Self, String> {
                match v {
                    Lv::Integer(i) => <$t>::try_from(*i)
                        .map_err(|_| format!("{i} is out of range for {}", stringify!($t))),
                    other => Err(mismatch(other, stringify!($t))),
                }
            }
        }
    )*};
}
lite_int!(i16, i32, i64);

impl LiteDecode for bool {
    fn lite_decode(v: &Lv) -> Result<Self, String> {
        match v {
            Lv::Integer(i) => Ok(*i != 0),
            other => Err(mismatch(other, "bool")),
        }
    }
}

impl LiteDecode for f64 {
    fn lite_decode(v: &Lv) -> Result<Self, String> {
        match v {
            Lv::Real(f) => Ok(*f),
            Lv::Integer(i) => Ok(*i as f64),
            other => Err(mismatch(other, "f64")),
        }
    }
}

impl LiteDecode for f32 {
    fn lite_decode(v: &Lv) -> Result<Self, String> {
        f64::lite_decode(v).map(|f| f as f32)
    }
}

impl LiteDecode for String {
    fn lite_decode(v: &Lv) -> Result<Self, String> {
        match v {
            Lv::Text(s) => Ok(s.clone()),
            other => Err(mismatch(other, "text")),
        }
    }
}

impl LiteDecode for Vec<u8> {
    fn lite_decode(v: &Lv) -> Result<Self, String> {
        match v {
            Lv::Blob(b) => Ok(b.clone()),
            Lv::Text(s) => Ok(s.as_bytes().to_vec()),
            other => Err(mismatch(other, "bytes")),
        }
    }
}

fn text<'a>(v: &'a Lv, want: &str) -> Result<&'a str, String> {
    match v {
        Lv::Text(s) => Ok(s),
        other => Err(mismatch(other, want)),
    }
}

impl LiteDecode for chrono::NaiveDate {
    fn lite_decode(v: &Lv) -> Result<Self, String> {
        let s = text(v, "a date")?;
        chrono::NaiveDate::parse_from_str(s, "%F").map_err(|e| format!("invalid date {s:?}: {e}"))
    }
}

impl LiteDecode for chrono::NaiveTime {
    fn lite_decode(v: &Lv) -> Result<Self, String> {
        let s = text(v, "a time")?;
        ["%T%.f", "%R"]
            .iter()
            .find_map(|f| chrono::NaiveTime::parse_from_str(s, f).ok())
            .ok_or_else(|| format!("invalid time {s:?}"))
    }
}

impl LiteDecode for chrono::NaiveDateTime {
    fn lite_decode(v: &Lv) -> Result<Self, String> {
        chrono::DateTime::<chrono::Utc>::lite_decode(v).map(|d| d.naive_utc())
    }
}

impl LiteDecode for chrono::DateTime<chrono::Utc> {
    fn lite_decode(v: &Lv) -> Result<Self, String> {
        use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
        match v {
            Lv::Text(s) => {
                if let Ok(d) = DateTime::parse_from_rfc3339(s) {
                    return Ok(d.with_timezone(&Utc));
                }
                for f in [
                    "%F %T%.f%:z",
                    "%F %T%.fZ",
                    "%FT%T%.f%:z",
                    "%FT%T%.fZ",
                    "%F %R%:z",
                ] {
                    if let Ok(d) = DateTime::parse_from_str(s, f) {
                        return Ok(d.with_timezone(&Utc));
                    }
                }
                // Without an offset: UTC, as sqlx read it.
                for f in ["%F %T%.f", "%FT%T%.f", "%F %R", "%FT%R"] {
                    if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
                        return Ok(d.and_utc());
                    }
                }
                Err(format!("invalid date-time {s:?}"))
            }
            Lv::Integer(i) => Utc
                .timestamp_opt(*i, 0)
                .single()
                .ok_or_else(|| format!("invalid timestamp {i}")),
            Lv::Real(julian) => {
                let secs = (julian - 2_440_587.5) * 86_400.0;
                if !secs.is_finite() {
                    return Err(format!("invalid Julian day {julian}"));
                }
                Utc.timestamp_opt(secs.trunc() as i64, (secs.fract().abs() * 1e9) as u32)
                    .single()
                    .ok_or_else(|| format!("invalid Julian day {julian}"))
            }
            other => Err(mismatch(other, "a date-time")),
        }
    }
}

impl LiteDecode for uuid::Uuid {
    fn lite_decode(v: &Lv) -> Result<Self, String> {
        match v {
            Lv::Blob(b) => uuid::Uuid::from_slice(b).map_err(|e| format!("invalid UUID: {e}")),
            Lv::Text(s) => uuid::Uuid::parse_str(s).map_err(|e| format!("invalid UUID {s:?}: {e}")),
            other => Err(mismatch(other, "a UUID")),
        }
    }
}

impl LiteDecode for serde_json::Value {
    fn lite_decode(v: &Lv) -> Result<Self, String> {
        match v {
            Lv::Text(s) => serde_json::from_str(s).map_err(|e| format!("invalid JSON: {e}")),
            Lv::Blob(b) => serde_json::from_slice(b).map_err(|e| format!("invalid JSON: {e}")),
            Lv::Integer(i) => Ok((*i).into()),
            Lv::Real(f) => Ok((*f).into()),
            Lv::Null => Ok(serde_json::Value::Null),
        }
    }
}

/// A SQLite error, as the driver-independent [`sqlx::error::DatabaseError`] the ORM's
/// [`Error::Database`](crate::Error::Database) carries for every backend.
#[derive(Debug)]
pub struct LiteError {
    /// SQLite's extended result code, when SQLite reported the error.
    code: Option<i32>,
    message: String,
}

impl std::fmt::Display for LiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "(code: {code}) {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for LiteError {}

impl sqlx::error::DatabaseError for LiteError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        self.code.map(|c| Cow::Owned(c.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use sqlx::error::ErrorKind;
        // Extended result codes of SQLITE_CONSTRAINT.
        match self.code {
            Some(2067 | 1555) => ErrorKind::UniqueViolation,
            Some(787) => ErrorKind::ForeignKeyViolation,
            Some(1299) => ErrorKind::NotNullViolation,
            Some(275) => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

/// A rusqlite error as the ORM's database error.
pub(crate) fn lite_error(e: rusqlite::Error) -> sqlx::Error {
    let (code, message) = match &e {
        rusqlite::Error::SqliteFailure(f, msg) => (
            Some(f.extended_code),
            msg.clone().unwrap_or_else(|| f.to_string()),
        ),
        other => (None, other.to_string()),
    };
    sqlx::Error::Database(Box::new(LiteError { code, message }))
}

#[cfg(test)]
mod tests {
    use super::{LiteConn, LiteOptions, is_read};

    #[test]
    fn column_names_follow_schema_changes() {
        let mut c = LiteConn::open(&LiteOptions::parse("sqlite::memory:").unwrap()).unwrap();
        c.execute_raw("CREATE TABLE t (a integer); INSERT INTO t VALUES (1)")
            .unwrap();
        let names = |c: &mut LiteConn, sql: &str| -> Vec<String> {
            let rows = c.query(sql, &[]).unwrap();
            (0..rows[0].len())
                .map(|i| rows[0].column_name(i).unwrap().to_string())
                .collect()
        };
        assert_eq!(names(&mut c, "SELECT * FROM t"), ["a"]);
        assert_eq!(names(&mut c, "SELECT a AS x FROM t"), ["x"]);
        assert_eq!(names(&mut c, "SELECT * FROM t"), ["a"]);
        c.execute_raw("ALTER TABLE t RENAME COLUMN a TO b").unwrap();
        assert_eq!(names(&mut c, "SELECT * FROM t"), ["b"]);
        c.execute_raw("ALTER TABLE t ADD COLUMN c text").unwrap();
        assert_eq!(names(&mut c, "SELECT * FROM t"), ["b", "c"]);
        // A statement prepared anew (dropped from rusqlite's cache) after a change.
        assert_eq!(names(&mut c, "SELECT * FROM t"), ["b", "c"]);
        c.conn.flush_prepared_statement_cache();
        c.execute_raw("ALTER TABLE t RENAME COLUMN c TO d").unwrap();
        assert_eq!(names(&mut c, "SELECT * FROM t"), ["b", "d"]);
        // Run by `execute` in between (its run count moves on).
        c.execute("SELECT * FROM t", &[]).unwrap();
        c.conn.flush_prepared_statement_cache();
        c.execute("SELECT * FROM t", &[]).unwrap();
        c.execute_raw("ALTER TABLE t RENAME COLUMN d TO e").unwrap();
        assert_eq!(names(&mut c, "SELECT * FROM t"), ["b", "e"]);
    }

    #[test]
    fn reads_are_told_from_writes() {
        assert!(is_read("SELECT 1"));
        assert!(is_read("  select \"t0\".\"id\" FROM x"));
        assert!(is_read("(SELECT 1) UNION (SELECT 2)"));
        assert!(is_read("EXPLAIN QUERY PLAN SELECT 1"));
        assert!(is_read("\n\t( ( select 1))"));
        assert!(is_read("VALUES (1)"));
        for write in [
            "INSERT INTO t VALUES (1)",
            "UPDATE t SET x = 1",
            "DELETE FROM t",
            "WITH x AS (SELECT 1) DELETE FROM t",
            "PRAGMA foreign_keys = OFF",
            "CREATE TABLE t (x integer)",
            "",
            "(",
            "sel",
            "e",
        ] {
            assert!(!is_read(write), "{write}");
        }
    }

    #[test]
    fn urls_are_parsed() {
        assert!(LiteOptions::parse("sqlite::memory:").unwrap().is_memory());
        assert!(
            LiteOptions::parse("sqlite://x.db?mode=memory")
                .unwrap()
                .is_memory()
        );
        let rel = LiteOptions::parse("sqlite://db.sqlite3").unwrap();
        assert_eq!(rel.path.unwrap().to_str(), Some("db.sqlite3"));
        let abs = LiteOptions::parse("sqlite:///tmp/a.db?mode=rwc").unwrap();
        assert_eq!(abs.path.unwrap().to_str(), Some("/tmp/a.db"));
        let err = LiteOptions::parse("sqlite://a.db?cache=bogus").unwrap_err();
        assert!(err.contains("bogus"), "{err}");
        let shared = LiteOptions::parse("sqlite://a.db?cache=shared&mode=rwc").unwrap();
        assert!(
            shared
                .flags
                .contains(rusqlite::OpenFlags::SQLITE_OPEN_SHARED_CACHE)
        );
        let err = LiteOptions::parse("sqlite://a.db?journal=wal").unwrap_err();
        assert!(err.contains("journal"), "{err}");
        let err = LiteOptions::parse("sqlite://a.db?mode=xx").unwrap_err();
        assert!(err.contains("xx"), "{err}");
    }
}
