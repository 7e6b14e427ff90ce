//! PostgreSQL connections on tokio-postgres.
//!
//! Why not sqlx here (it still serves MySQL): a one-row query costs the application
//! mostly system calls and thread wake-ups, one set per statement on a connection of its
//! own. tokio-postgres can queue the statements of many tasks on one connection and send
//! and read them in batches; [`PgShared`] does that for plain reads outside transactions,
//! which halves the CPU a read costs under load (`bench/results/latest.md`). Statements
//! on a connection of their own ([`PgConn`]) cost about what they cost with sqlx. This
//! module keeps what the ORM relied on:
//!
//! - every statement is prepared once per connection and then runs in one round trip
//!   (`Bind`/`Execute`/`Sync`); the prepared statements are cached per connection, keyed
//!   by SQL text and parameter types, at most [`STATEMENT_CACHE`] of them;
//! - parameters are declared with the types of their values (`prepare_typed`), as sqlx
//!   declared them: an `i64` is an `int8` parameter whatever the column, and PostgreSQL
//!   converts it on assignment or comparison;
//! - the session runs in UTC with ISO dates (sqlx's start-up parameters), whatever the
//!   server's defaults; the URL's own `options=-c ...` win over them;
//! - errors arrive as [`sqlx::Error`]s: the server's errors as
//!   [`sqlx::Error::Database`] with their SQLSTATE (so unique, foreign-key, not-null and
//!   check violations are told apart), a lost connection as [`sqlx::Error::Io`].
//!
//! Statements without parameters that the ORM runs for their effect (DDL, `BEGIN`,
//! `SAVEPOINT`) go through the simple-query protocol: no statement is prepared for them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use futures_util::task::AtomicWaker;
use futures_util::{StreamExt, TryStreamExt};
use sea_query::Value;
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{Client, Connection, NoTls, RowStream, SimpleQueryMessage, Socket, Statement};

/// Prepared statements kept per connection (sqlx's default capacity was 100).
pub(crate) const STATEMENT_CACHE: usize = 256;

/// How to open a connection: the parsed URL plus the session settings Trellis needs.
#[derive(Clone)]
pub(crate) struct PgOptions {
    config: tokio_postgres::Config,
}

impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the config: it holds the password.
        f.debug_struct("PgOptions").finish_non_exhaustive()
    }
}

impl PgOptions {
    /// Parse a `postgres://user:password@host:port/db?options` URL (libpq's URL format:
    /// `host=/run/postgresql` for a Unix socket, `options=-c%20search_path%3Dx`,
    /// `application_name`, `connect_timeout` in seconds, ...). TLS is not built in:
    /// `sslmode=require` is refused when connecting.
    pub(crate) fn parse(url: &str) -> Result<PgOptions, String> {
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| format!("{e}"))?;
        // sqlx's session defaults, before the URL's own options (the last `-c` wins).
        let ours = "-c TimeZone=UTC -c DateStyle=ISO";
        let options = match config.get_options() {
            Some(theirs) if !theirs.trim().is_empty() => format!("{ours} {theirs}"),
            _ => ours.to_string(),
        };
        config.options(options);
        if config.get_application_name().is_none() {
            config.application_name("trellis");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(30));
        }
        Ok(PgOptions { config })
    }
}

/// One statement prepared on a connection, for one list of parameter types.
struct Prepared {
    types: Box<[Type]>,
    statement: Statement,
}

/// A PostgreSQL connection: the tokio-postgres client, the connection object that reads
/// and writes its socket, and the statements prepared on it.
///
/// The connection object is not a task of its own (tokio-postgres' usual layout): every
/// operation polls it together with the request, in the caller's task. A spawned
/// connection task costs two task wake-ups per statement, often across worker threads,
/// which made a one-row query cost more CPU than sqlx; polled inline, the socket is read
/// and written by the task that waits for the answer, as sqlx and libpq do. While a
/// connection sits idle in the pool nothing reads it, as with sqlx.
pub(crate) struct PgConn {
    client: Client,
    connection: Connection<Socket, NoTlsStream>,
    statements: Statements,
}

type Statements = HashMap<Arc<str>, Vec<Prepared>, foldhash::fast::RandomState>;

/// Run `op` while driving `connection` in the same task, until `op` is done (or the
/// connection ends: an error, or the server closed it).
///
/// `op` and the connection wake each other all the time (a request queued, a reply
/// handed over). Woken with the task's own waker, each of those would make the runtime
/// re-queue the task as if it had yielded, and wake an idle worker thread for it. So both
/// are polled with a [`Wakeup`] waker instead: a wake-up that comes while they are being
/// polled here only makes this loop poll them again; one that comes later (the socket is
/// readable, a consumer made room) wakes the task.
async fn drive<F: Future>(
    connection: &mut Connection<Socket, NoTlsStream>,
    op: F,
) -> Result<F::Output, sqlx::Error> {
    let mut op = std::pin::pin!(op);
    let wakeup = Arc::new(Wakeup::default());
    let waker = Waker::from(wakeup.clone());
    std::future::poll_fn(|cx| {
        wakeup.task.register(cx.waker());
        let mut inner = Context::from_waker(&waker);
        // Bounded: a future that wakes itself every time (a cooperative yield) must not
        // spin here; after a few rounds the task yields for real.
        for _ in 0..8 {
            wakeup.state.store(POLLING, Ordering::SeqCst);
            if let Poll::Ready(v) = op.as_mut().poll(&mut inner) {
                wakeup.state.store(0, Ordering::SeqCst);
                return Poll::Ready(Ok(v));
            }
            // Writes what `op` queued, reads what the server sent, hands it to `op`.
            match Pin::new(&mut *connection).poll(&mut inner) {
                Poll::Ready(Ok(())) => {
                    wakeup.state.store(0, Ordering::SeqCst);
                    return Poll::Ready(Err(closed()));
                }
                Poll::Ready(Err(e)) => {
                    wakeup.state.store(0, Ordering::SeqCst);
                    return Poll::Ready(Err(convert(e)));
                }
                Poll::Pending => {}
            }
            if wakeup.state.swap(0, Ordering::SeqCst) & WOKEN == 0 {
                // Nothing happened while polling: a later wake-up wakes the task.
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

const POLLING: u8 = 1;
const WOKEN: u8 = 2;

/// The waker [`drive`] polls with: records a wake-up that comes while polling, forwards
/// any other to the task.
#[derive(Default)]
struct Wakeup {
    state: AtomicU8,
    task: AtomicWaker,
}

impl Wake for Wakeup {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if self.state.fetch_or(WOKEN, Ordering::SeqCst) & POLLING == 0 {
            self.task.wake();
        }
    }
}

fn closed() -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "the PostgreSQL connection was closed",
    ))
}

/// Where a connection keeps its prepared statements: owned by a [`PgConn`], behind a
/// lock in a [`SharedConn`] (never held across an `.await`).
trait StatementCache {
    /// The statement prepared for `sql` with parameters of the types of `values`.
    fn find(&mut self, sql: &str, values: &[Value]) -> Option<Statement>;
    /// Keep a statement just prepared.
    fn keep(&mut self, sql: &str, prepared: Prepared);
    /// Forget every statement.
    fn clear(&mut self);
}

impl StatementCache for Statements {
    fn find(&mut self, sql: &str, values: &[Value]) -> Option<Statement> {
        self.get(sql)?
            .iter()
            .find(|p| {
                p.types.len() == values.len()
                    && p.types.iter().zip(values).all(|(t, v)| *t == pg_type(v))
            })
            .map(|p| p.statement.clone())
    }

    fn keep(&mut self, sql: &str, prepared: Prepared) {
        if self.values().map(Vec::len).sum::<usize>() >= STATEMENT_CACHE {
            // Full: forget every statement (each is closed on the server as it drops).
            HashMap::clear(self);
        }
        self.entry(Arc::from(sql)).or_default().push(prepared);
    }

    fn clear(&mut self) {
        HashMap::clear(self);
    }
}

impl StatementCache for &std::sync::Mutex<Statements> {
    fn find(&mut self, sql: &str, values: &[Value]) -> Option<Statement> {
        self.lock()
            .unwrap_or_else(|e| e.into_inner())
            .find(sql, values)
    }

    fn keep(&mut self, sql: &str, prepared: Prepared) {
        self.lock()
            .unwrap_or_else(|e| e.into_inner())
            .keep(sql, prepared);
    }

    fn clear(&mut self) {
        StatementCache::clear(&mut *self.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// The statements every connection runs, on a client and its statement cache.
mod ops {
    use super::*;

    /// The prepared statement for `sql` with parameters of the types of `values`
    /// (prepared now on first use).
    pub(super) async fn statement(
        client: &Client,
        cache: &mut impl StatementCache,
        sql: &str,
        values: &[Value],
    ) -> Result<Statement, sqlx::Error> {
        if let Some(statement) = cache.find(sql, values) {
            return Ok(statement);
        }
        let types: Box<[Type]> = values.iter().map(pg_type).collect();
        let statement = client.prepare_typed(sql, &types).await.map_err(convert)?;
        cache.keep(
            sql,
            Prepared {
                types,
                statement: statement.clone(),
            },
        );
        Ok(statement)
    }

    /// Run a query: its rows as a stream.
    async fn query(
        client: &Client,
        cache: &mut impl StatementCache,
        sql: &str,
        values: &[Value],
    ) -> Result<RowStream, sqlx::Error> {
        let statement = statement(client, cache, sql, values).await?;
        client
            .query_raw(&statement, values.iter().map(Param))
            .await
            .map_err(convert)
    }

    /// Run a query and collect its rows, decoding each with `f` as it arrives.
    pub(super) async fn query_map<T, E: From<sqlx::Error>>(
        client: &Client,
        cache: &mut impl StatementCache,
        sql: &str,
        values: &[Value],
        mut f: impl FnMut(tokio_postgres::Row) -> Result<T, E>,
        out: &mut Vec<T>,
    ) -> Result<(), E> {
        let rows = query(client, cache, sql, values).await?;
        let mut rows = std::pin::pin!(rows);
        while let Some(row) = rows.try_next().await.map_err(convert)? {
            out.push(f(row)?);
        }
        Ok(())
    }

    /// Run a query and return its first row (the others, if any, are discarded).
    pub(super) async fn query_first(
        client: &Client,
        cache: &mut impl StatementCache,
        sql: &str,
        values: &[Value],
    ) -> Result<Option<tokio_postgres::Row>, sqlx::Error> {
        let rows = query(client, cache, sql, values).await?;
        let mut rows = std::pin::pin!(rows);
        let first = rows.try_next().await.map_err(convert)?;
        if first.is_some() {
            // Read to the end, so the statement's errors (and its completion) are seen.
            while rows.try_next().await.map_err(convert)?.is_some() {}
        }
        Ok(first)
    }

    /// Run a query and hand each row (or the error) to `send` as it arrives, until
    /// `send` returns `false`.
    pub(super) async fn query_each<Fut: Future<Output = bool>>(
        client: &Client,
        cache: &mut impl StatementCache,
        sql: &str,
        values: &[Value],
        mut send: impl FnMut(Result<tokio_postgres::Row, sqlx::Error>) -> Fut,
    ) -> Result<(), sqlx::Error> {
        let rows = query(client, cache, sql, values).await?;
        let mut rows = std::pin::pin!(rows);
        while let Some(row) = rows.next().await {
            if !send(row.map_err(convert)).await {
                break;
            }
        }
        Ok(())
    }

    /// Run a statement; the number of rows it changed.
    pub(super) async fn execute(
        client: &Client,
        cache: &mut impl StatementCache,
        sql: &str,
        values: &[Value],
    ) -> Result<u64, sqlx::Error> {
        let statement = statement(client, cache, sql, values).await?;
        client
            .execute_raw(&statement, values.iter().map(Param))
            .await
            .map_err(convert)
    }

    /// Run SQL without parameters through the simple-query protocol (nothing prepared);
    /// the rows the last statement changed. After `ALTER` or `DROP`, the prepared
    /// statements are forgotten: one that read a changed table would fail with "cached
    /// plan must not change result type".
    pub(super) async fn execute_simple(
        client: &Client,
        cache: &mut impl StatementCache,
        sql: &str,
    ) -> Result<u64, sqlx::Error> {
        let messages = client.simple_query(sql).await.map_err(convert)?;
        let verb = sql.split_whitespace().next().unwrap_or_default();
        if verb.eq_ignore_ascii_case("alter") || verb.eq_ignore_ascii_case("drop") {
            cache.clear();
        }
        Ok(messages
            .iter()
            .rev()
            .find_map(|m| match m {
                SimpleQueryMessage::CommandComplete(n) => Some(*n),
                _ => None,
            })
            .unwrap_or(0))
    }
}

/// Run an [`ops`] function on a [`PgConn`], driving its connection meanwhile.
macro_rules! on_own {
    ($self:ident, $op:ident($($arg:expr),*)) => {{
        let PgConn {
            client,
            connection,
            statements,
        } = $self;
        drive(connection, ops::$op(client, statements, $($arg),*)).await?
    }};
}

impl PgConn {
    /// Open a connection.
    pub(crate) async fn open(opts: &PgOptions) -> Result<PgConn, sqlx::Error> {
        let (client, connection) = opts.config.connect(NoTls).await.map_err(convert)?;
        Ok(PgConn {
            client,
            connection,
            statements: HashMap::default(),
        })
    }

    /// Close gracefully: PostgreSQL gets its `Terminate` message.
    pub(crate) async fn close(self) {
        let PgConn {
            client, connection, ..
        } = self;
        drop(client);
        let _ = tokio::time::timeout(Duration::from_secs(5), connection).await;
    }

    /// One round trip that touches nothing.
    pub(crate) async fn ping(&mut self) -> Result<(), sqlx::Error> {
        drive(&mut self.connection, self.client.simple_query(""))
            .await?
            .map_err(convert)?;
        Ok(())
    }

    /// See [`ops::query_map`].
    pub(crate) async fn query_map<T, E: From<sqlx::Error>>(
        &mut self,
        sql: &str,
        values: &[Value],
        f: impl FnMut(tokio_postgres::Row) -> Result<T, E>,
        out: &mut Vec<T>,
    ) -> Result<(), E> {
        on_own!(self, query_map(sql, values, f, out))
    }

    /// See [`ops::query_first`].
    pub(crate) async fn query_first(
        &mut self,
        sql: &str,
        values: &[Value],
    ) -> Result<Option<tokio_postgres::Row>, sqlx::Error> {
        on_own!(self, query_first(sql, values))
    }

    /// See [`ops::query_each`].
    pub(crate) async fn query_each<Fut: Future<Output = bool>>(
        &mut self,
        sql: &str,
        values: &[Value],
        send: impl FnMut(Result<tokio_postgres::Row, sqlx::Error>) -> Fut,
    ) -> Result<(), sqlx::Error> {
        on_own!(self, query_each(sql, values, send))
    }

    /// See [`ops::execute`].
    pub(crate) async fn execute(
        &mut self,
        sql: &str,
        values: &[Value],
    ) -> Result<u64, sqlx::Error> {
        on_own!(self, execute(sql, values))
    }

    /// See [`ops::execute_simple`].
    pub(crate) async fn execute_simple(&mut self, sql: &str) -> Result<u64, sqlx::Error> {
        on_own!(self, execute_simple(sql))
    }
}

/// The parameter type PostgreSQL is told for a value (as sqlx declared it).
fn pg_type(v: &Value) -> Type {
    #[allow(unreachable_patterns)]
    match v {
        Value::Bool(_) => Type::BOOL,
        Value::TinyInt(_) | Value::SmallInt(_) | Value::TinyUnsigned(_) => Type::INT2,
        Value::Int(_) | Value::SmallUnsigned(_) => Type::INT4,
        Value::BigInt(_) | Value::Unsigned(_) | Value::BigUnsigned(_) => Type::INT8,
        Value::Float(_) => Type::FLOAT4,
        Value::Double(_) => Type::FLOAT8,
        Value::String(_) | Value::Enum(_) | Value::Char(_) => Type::TEXT,
        Value::Bytes(_) => Type::BYTEA,
        Value::Json(_) => Type::JSONB,
        Value::ChronoDate(_) => Type::DATE,
        Value::ChronoTime(_) => Type::TIME,
        Value::ChronoDateTime(_) => Type::TIMESTAMP,
        Value::ChronoDateTimeUtc(_)
        | Value::ChronoDateTimeLocal(_)
        | Value::ChronoDateTimeWithTimeZone(_) => Type::TIMESTAMPTZ,
        Value::Uuid(_) => Type::UUID,
        Value::Decimal(_) => Type::NUMERIC,
        // Types the ORM never binds: sent as text, for PostgreSQL to convert.
        _ => Type::TEXT,
    }
}

/// A sea-query value as a bound parameter of the type [`pg_type`] declared.
#[derive(Debug)]
struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        fn put<T: ToSql>(
            v: &Option<T>,
            ty: &Type,
            out: &mut BytesMut,
        ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
            match v {
                Some(v) => v.to_sql(ty, out),
                None => Ok(IsNull::Yes),
            }
        }
        #[allow(unreachable_patterns)]
        match self.0 {
            Value::Bool(v) => put(v, ty, out),
            Value::TinyInt(v) => put(&v.map(i16::from), ty, out),
            Value::SmallInt(v) => put(v, ty, out),
            Value::Int(v) => put(v, ty, out),
            Value::BigInt(v) => put(v, ty, out),
            Value::TinyUnsigned(v) => put(&v.map(i16::from), ty, out),
            Value::SmallUnsigned(v) => put(&v.map(i32::from), ty, out),
            Value::Unsigned(v) => put(&v.map(i64::from), ty, out),
            Value::BigUnsigned(v) => match v {
                Some(u) => i64::try_from(*u)
                    .map_err(|_| format!("{u} does not fit PostgreSQL's bigint").into())
                    .and_then(|i| i.to_sql(ty, out)),
                None => Ok(IsNull::Yes),
            },
            Value::Float(v) => put(v, ty, out),
            Value::Double(v) => put(v, ty, out),
            Value::String(v) => put(&v.as_deref(), ty, out),
            Value::Enum(e) => match e {
                sea_query::OptionEnum::Some(e) => (&*e.value).to_sql(ty, out),
                sea_query::OptionEnum::None(_) => Ok(IsNull::Yes),
            },
            Value::Char(v) => put(&v.map(|c| c.to_string()), ty, out),
            Value::Bytes(v) => put(&v.as_deref(), ty, out),
            Value::Json(v) => put(&v.as_deref(), ty, out),
            Value::ChronoDate(v) => put(v, ty, out),
            Value::ChronoTime(v) => put(v, ty, out),
            Value::ChronoDateTime(v) => put(v, ty, out),
            Value::ChronoDateTimeUtc(v) => put(v, ty, out),
            Value::ChronoDateTimeLocal(v) => put(&v.map(|t| t.to_utc()), ty, out),
            Value::ChronoDateTimeWithTimeZone(v) => put(&v.map(|t| t.to_utc()), ty, out),
            Value::Uuid(v) => put(v, ty, out),
            Value::Decimal(v) => put(v, ty, out),
            other => Err(format!("cannot bind {other:?} as a PostgreSQL parameter").into()),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        // The statement was prepared with the type `pg_type` gives for this very value.
        true
    }

    to_sql_checked!();
}

/// Any column, read only to see whether it is NULL.
pub(crate) struct AnyValue;

impl<'a> FromSql<'a> for AnyValue {
    fn from_sql(_ty: &Type, _raw: &'a [u8]) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(AnyValue)
    }
    fn accepts(_ty: &Type) -> bool {
        true
    }
}

/// A PostgreSQL error sent by the server, as the driver-independent
/// [`sqlx::error::DatabaseError`] the ORM's error handling reads (SQLSTATE, constraint).
#[derive(Debug)]
pub struct PgError(tokio_postgres::error::DbError);

impl PgError {
    /// The server's error, with detail, hint, table and column where it gave them.
    pub fn db_error(&self) -> &tokio_postgres::error::DbError {
        &self.0
    }
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl StdError for PgError {}

impl sqlx::error::DatabaseError for PgError {
    fn message(&self) -> &str {
        self.0.message()
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.0.code().code()))
    }

    fn constraint(&self) -> Option<&str> {
        self.0.constraint()
    }

    fn table(&self) -> Option<&str> {
        self.0.table()
    }

    fn as_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn StdError + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn StdError + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use sqlx::error::ErrorKind;
        match self.0.code().code() {
            "23505" => ErrorKind::UniqueViolation,
            "23503" => ErrorKind::ForeignKeyViolation,
            "23502" => ErrorKind::NotNullViolation,
            "23514" => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

/// A tokio-postgres error as the ORM's [`sqlx::Error`]: the server's errors keep their
/// SQLSTATE; a closed connection or a socket error is I/O (the pool then drops the
/// connection); anything else is a protocol error (also not reused).
pub(crate) fn convert(e: tokio_postgres::Error) -> sqlx::Error {
    if let Some(db) = e.as_db_error() {
        return sqlx::Error::Database(Box::new(PgError(db.clone())));
    }
    if e.is_closed() {
        return sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            e.to_string(),
        ));
    }
    if let Some(io) = e.source().and_then(|s| s.downcast_ref::<std::io::Error>()) {
        return sqlx::Error::Io(std::io::Error::new(io.kind(), e.to_string()));
    }
    let text = e.to_string();
    if text.starts_with("error serializing parameter") {
        return sqlx::Error::Encode(Box::new(e));
    }
    sqlx::Error::Protocol(text)
}

/// The connections that statements outside transactions share, pipelined.
///
/// A statement outside a transaction needs no connection of its own: tokio-postgres
/// queues it on a shared connection, whose driver task writes every queued statement in
/// one batch and reads their replies in one batch. That saves most of the system calls
/// and task switches a statement costs on a connection of its own (the layout of the
/// fastest TechEmpower entries). The pool hands out:
///
/// - an idle shared connection, or a new one while fewer than `slots` are open;
/// - else the shared connection with the fewest statements in flight, skipping any that
///   has finished nothing for [`STALLED`] (a slow statement at its head would hold up
///   every statement queued behind it);
/// - else a connection of its own from the pool if one is free at once, else the least
///   busy stalled shared connection (waiting behind it is no worse than waiting for a
///   checkout).
///
/// Writes, `SELECT ... FOR UPDATE`, transactions, streams and raw SQL without
/// parameters (which may change the session) always take a connection of their own.
///
/// A statement cancelled half-way retires its shared connection (new statements go to a
/// fresh one; the old one closes when its statements are done); a connection the server
/// closed is noticed by its driver and replaced.
pub(crate) struct PgShared {
    opts: PgOptions,
    slots: Box<[Slot]>,
    max_lifetime: Option<Duration>,
    closed: AtomicBool,
}

/// How long a shared connection with statements in flight may finish none before new
/// statements avoid it.
pub(crate) const STALLED: Duration = Duration::from_millis(5);

#[derive(Default)]
struct Slot {
    conn: std::sync::RwLock<Option<Arc<SharedConn>>>,
    opening: tokio::sync::Mutex<()>,
}

/// One shared connection: the client, whose driver task owns the socket.
pub(crate) struct SharedConn {
    client: Client,
    statements: std::sync::Mutex<Statements>,
    in_flight: AtomicUsize,
    /// When a statement last ended (or the first of a busy spell started), in
    /// microseconds since [`epoch`].
    progress: AtomicU64,
    created: Instant,
    retired: AtomicBool,
    driver: tokio::task::JoinHandle<()>,
}

impl Drop for SharedConn {
    fn drop(&mut self) {
        // The last user is gone: dropping the client makes the driver send `Terminate`
        // and end; one stuck on a dead socket is stopped here.
        if self.client.is_closed() {
            self.driver.abort();
        }
    }
}

/// Microseconds since the first call (a clock for [`SharedConn::progress`]).
fn micros() -> u64 {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_micros() as u64
}

impl PgShared {
    /// Up to `slots` shared connections (none: every statement takes its own).
    pub(crate) fn new(opts: PgOptions, slots: usize, max_lifetime: Option<Duration>) -> PgShared {
        PgShared {
            opts,
            slots: (0..slots).map(|_| Slot::default()).collect(),
            max_lifetime,
            closed: AtomicBool::new(false),
        }
    }

    /// Where one statement should run (see the type's documentation).
    pub(crate) async fn pick(&self) -> Result<Pick, sqlx::Error> {
        if self.closed.load(Ordering::Acquire) {
            return Err(sqlx::Error::PoolClosed);
        }
        if self.slots.is_empty() {
            return Ok(Pick::Own);
        }
        let now = micros();
        let stalled = STALLED.as_micros() as u64;
        let mut best: Option<(usize, Arc<SharedConn>)> = None;
        let mut stalled_best: Option<(usize, Arc<SharedConn>)> = None;
        let mut empty = None;
        for (i, slot) in self.slots.iter().enumerate() {
            let conn = slot.conn.read().unwrap_or_else(|e| e.into_inner()).clone();
            let Some(c) = conn.filter(|c| self.usable(c)) else {
                empty.get_or_insert(i);
                continue;
            };
            let n = c.in_flight.load(Ordering::Acquire);
            if n == 0 {
                return Ok(Pick::Shared(InFlight::new(c)));
            }
            let slot = match now.saturating_sub(c.progress.load(Ordering::Acquire)) > stalled {
                true => &mut stalled_best,
                false => &mut best,
            };
            if slot.as_ref().is_none_or(|(m, _)| *m > n) {
                *slot = Some((n, c));
            }
        }
        if let Some(i) = empty {
            let slot = &self.slots[i];
            let _opening = slot.opening.lock().await;
            let current = slot.conn.read().unwrap_or_else(|e| e.into_inner()).clone();
            if let Some(c) = current.filter(|c| self.usable(c)) {
                return Ok(Pick::Shared(InFlight::new(c)));
            }
            let c = Arc::new(SharedConn::open(&self.opts).await?);
            *slot.conn.write().unwrap_or_else(|e| e.into_inner()) = Some(c.clone());
            return Ok(Pick::Shared(InFlight::new(c)));
        }
        Ok(match (best, stalled_best) {
            (Some((_, c)), _) => Pick::Shared(InFlight::new(c)),
            (None, Some((_, c))) => Pick::Stalled(c),
            (None, None) => Pick::Own,
        })
    }

    fn usable(&self, c: &SharedConn) -> bool {
        if self
            .max_lifetime
            .is_some_and(|max| c.created.elapsed() > max)
        {
            c.retired.store(true, Ordering::Release);
        }
        !c.retired.load(Ordering::Acquire) && !c.client.is_closed()
    }

    /// Refuse new statements; every shared connection closes when its statements end.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        for slot in self.slots.iter() {
            if let Some(c) = slot.conn.write().unwrap_or_else(|e| e.into_inner()).take() {
                c.retired.store(true, Ordering::Release);
            }
        }
    }
}

/// Where a statement runs: see [`PgShared`].
pub(crate) enum Pick {
    /// On this shared connection.
    Shared(InFlight),
    /// On a connection of its own if one is free at once, else on this shared connection
    /// (which has finished nothing for a while): [`InFlight::new`] then.
    Stalled(Arc<SharedConn>),
    /// On a connection of its own.
    Own,
}

/// A shared connection in use by one statement.
pub(crate) struct InFlight {
    conn: Arc<SharedConn>,
    done: bool,
}

impl InFlight {
    /// Count a statement in flight on `conn` until this is dropped.
    pub(crate) fn new(conn: Arc<SharedConn>) -> InFlight {
        if conn.in_flight.fetch_add(1, Ordering::AcqRel) == 0 {
            conn.progress.store(micros(), Ordering::Release);
        }
        InFlight { conn, done: false }
    }

    /// The connection, for one statement.
    pub(crate) fn start(&mut self) -> &SharedConn {
        &self.conn
    }

    /// The statement ended (successfully or with `error`).
    pub(crate) fn finish(&mut self, error: Option<&sqlx::Error>) {
        self.done = true;
        if error.is_some_and(crate::backend::pool::is_broken) {
            self.conn.retired.store(true, Ordering::Release);
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.conn.progress.store(micros(), Ordering::Release);
        self.conn.in_flight.fetch_sub(1, Ordering::AcqRel);
        if !self.done {
            // Cancelled half-way: the statement may still run on the server, and the
            // statements queued behind it would wait for it. New ones go elsewhere.
            self.conn.retired.store(true, Ordering::Release);
        }
    }
}

impl SharedConn {
    async fn open(opts: &PgOptions) -> Result<SharedConn, sqlx::Error> {
        let (client, connection) = opts.config.connect(NoTls).await.map_err(convert)?;
        let driver = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(target: "trellis::orm", error = %e, "PostgreSQL connection ended");
            }
        });
        Ok(SharedConn {
            client,
            statements: std::sync::Mutex::new(HashMap::default()),
            in_flight: AtomicUsize::new(0),
            progress: AtomicU64::new(micros()),
            created: Instant::now(),
            retired: AtomicBool::new(false),
            driver,
        })
    }
    /// See [`ops::query_map`].
    pub(crate) async fn query_map<T, E: From<sqlx::Error>>(
        &self,
        sql: &str,
        values: &[Value],
        f: impl FnMut(tokio_postgres::Row) -> Result<T, E>,
        out: &mut Vec<T>,
    ) -> Result<(), E> {
        ops::query_map(&self.client, &mut &self.statements, sql, values, f, out).await
    }

    /// See [`ops::query_first`].
    pub(crate) async fn query_first(
        &self,
        sql: &str,
        values: &[Value],
    ) -> Result<Option<tokio_postgres::Row>, sqlx::Error> {
        ops::query_first(&self.client, &mut &self.statements, sql, values).await
    }

    /// See [`ops::query_each`].
    pub(crate) async fn query_each<Fut: Future<Output = bool>>(
        &self,
        sql: &str,
        values: &[Value],
        send: impl FnMut(Result<tokio_postgres::Row, sqlx::Error>) -> Fut,
    ) -> Result<(), sqlx::Error> {
        ops::query_each(&self.client, &mut &self.statements, sql, values, send).await
    }

    /// See [`ops::execute`].
    pub(crate) async fn execute(&self, sql: &str, values: &[Value]) -> Result<u64, sqlx::Error> {
        ops::execute(&self.client, &mut &self.statements, sql, values).await
    }

    /// See [`ops::execute_simple`].
    pub(crate) async fn execute_simple(&self, sql: &str) -> Result<u64, sqlx::Error> {
        ops::execute_simple(&self.client, &mut &self.statements, sql).await
    }
}

/// Whether a statement may run on a shared, pipelined connection: a read that locks no
/// rows (`SELECT` without `FOR UPDATE` / `FOR SHARE` ...). PostgreSQL's plain reads never
/// wait for writers, so they cannot hold up the statements queued behind them for long;
/// writes can wait for row locks, and run on a connection of their own.
pub(crate) fn shareable(sql: &str) -> bool {
    if !crate::backend::lite::is_read(sql) {
        return false;
    }
    let b = sql.as_bytes();
    let mut i = 0;
    while i + 4 <= b.len() {
        if b[i..i + 3].eq_ignore_ascii_case(b"for")
            && b[i + 3].is_ascii_whitespace()
            && (i == 0 || b[i - 1].is_ascii_whitespace() || b[i - 1] == b')')
        {
            let rest = sql[i + 3..].trim_start();
            let head = |w: &str| {
                rest.get(..w.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(w))
            };
            if head("update") || head("share") || head("no key") || head("key share") {
                return false;
            }
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::shareable;

    #[test]
    fn only_reads_without_row_locks_share_a_connection() {
        assert!(shareable(
            r#"SELECT "id" FROM "world" WHERE "id" = $1 LIMIT $2"#
        ));
        assert!(shareable("  (select 1) union (select 2)"));
        assert!(shareable(r#"SELECT "platform" FROM "t" WHERE "x" = 'for'"#));
        assert!(!shareable(
            r#"SELECT "id" FROM "t" WHERE "id" = $1 FOR UPDATE"#
        ));
        assert!(!shareable("select id from t for  share skip locked"));
        assert!(!shareable("SELECT id FROM t FOR NO KEY UPDATE"));
        assert!(!shareable("SELECT id FROM t\nFOR KEY SHARE"));
        assert!(!shareable(r#"UPDATE "world" SET "randomnumber" = $1"#));
        assert!(!shareable(
            r#"INSERT INTO "t" ("a") VALUES ($1) RETURNING "id""#
        ));
        assert!(!shareable("DELETE FROM t"));
    }
}
