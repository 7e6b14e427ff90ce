//! The connection pool: the drivers' connections (tokio-postgres for PostgreSQL, sqlx for
//! MySQL, rusqlite for SQLite) held by Trellis, without the per-checkout cost of
//! `sqlx::Pool`.
//!
//! `sqlx::Pool` pings a connection when it is checked out (`test_before_acquire`, on by
//! default) and again when it comes back (always, from a spawned task): three round trips
//! to PostgreSQL for every one-statement query.
//! Django checks nothing by default (`CONN_HEALTH_CHECKS = False`) and reuses the
//! connection; this pool does the same:
//!
//! - checkout takes a permit (at most `max_connections` connections exist) and the most
//!   recently used idle connection, or opens one; with `health_checks` on, an idle
//!   connection is pinged first and replaced if it is dead;
//! - a connection goes back to the idle list when its guard drops, synchronously, unless
//!   it is broken: a statement failed with an I/O or protocol error, or (PostgreSQL,
//!   MySQL) the future running a statement was dropped half-way, which may leave
//!   unread replies on the wire. Those connections are closed, and the next checkout
//!   opens a fresh one. SQLite statements run synchronously (`lite.rs`), so none is ever
//!   left half-way, and the single connection of an in-memory database is kept;
//! - SQLite connections are [`LiteConn`]s (rusqlite, statements run on the calling
//!   thread, see `lite.rs`); PostgreSQL ones are [`PgConn`]s (tokio-postgres, see
//!   `pg.rs`); MySQL ones are sqlx's;
//! - idle connections older than `max_lifetime` or idle longer than `idle_timeout` are
//!   closed when they are next looked at.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::backend::lite::{LiteConn, LiteOptions};
use crate::backend::pg::{PgConn, PgOptions};

/// A connection the pool can hold: Trellis' own SQLite and PostgreSQL connections, and
/// sqlx's MySQL connection.
pub(crate) trait PoolConn: Send + Sized + 'static {
    /// How to open one.
    type Options: Send + Sync;
    /// Open a connection.
    fn open(opts: &Self::Options) -> impl Future<Output = Result<Self, sqlx::Error>> + Send;
    /// Check that the connection still works (one round trip).
    fn ping(&mut self) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
    /// Close gracefully.
    fn close(self) -> impl Future<Output = ()> + Send;
    /// Close without waiting: gracefully in the background when a runtime is there
    /// (PostgreSQL gets its `Terminate` message), else just drop it.
    fn discard(self) {
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(self.close());
            }
            Err(_) => drop(self),
        }
    }
}

macro_rules! sqlx_conn {
    ($($t:ty),*) => {$(
        impl PoolConn for $t {
            type Options = <$t as sqlx::Connection>::Options;
            fn open(opts: &Self::Options) -> impl Future<Output = Result<Self, sqlx::Error>> + Send {
                <$t as sqlx::Connection>::connect_with(opts)
            }
            fn ping(&mut self) -> impl Future<Output = Result<(), sqlx::Error>> + Send {
                sqlx::Connection::ping(self)
            }
            async fn close(self) {
                let _ = sqlx::Connection::close(self).await;
            }
        }
    )*};
}
sqlx_conn!(sqlx::MySqlConnection);

impl PoolConn for PgConn {
    type Options = PgOptions;
    fn open(opts: &PgOptions) -> impl Future<Output = Result<Self, sqlx::Error>> + Send {
        PgConn::open(opts)
    }
    fn ping(&mut self) -> impl Future<Output = Result<(), sqlx::Error>> + Send {
        PgConn::ping(self)
    }
    fn close(self) -> impl Future<Output = ()> + Send {
        PgConn::close(self)
    }
}

impl PoolConn for LiteConn {
    type Options = LiteOptions;
    async fn open(opts: &LiteOptions) -> Result<Self, sqlx::Error> {
        // Opening a file (and switching it to WAL) does I/O: off the event loop, without
        // yielding, so that concurrent queries reuse this connection rather than each
        // opening one of their own (only as many connections as run at once).
        crate::backend::lite::off_loop(|| LiteConn::open(opts))
    }
    async fn ping(&mut self) -> Result<(), sqlx::Error> {
        // A library in this process: nothing to lose on the way.
        Ok(())
    }
    async fn close(self) {}
    fn discard(self) {
        // Closed now, which also rolls back an open transaction and frees its lock.
        drop(self);
    }
}

/// How the pool behaves (from [`DbConfig`](crate::DbConfig)).
#[derive(Debug, Clone)]
pub(crate) struct PoolOptions {
    pub(crate) max_connections: u32,
    pub(crate) min_connections: u32,
    pub(crate) acquire_timeout: Duration,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) max_lifetime: Option<Duration>,
    pub(crate) health_checks: bool,
    /// Keep a connection whose statement was cancelled half-way (SQLite).
    pub(crate) keep_on_cancel: bool,
}

impl PoolOptions {
    /// A database server's pool (PostgreSQL, MySQL): idle connections close after 10
    /// minutes, every connection after 30 (sqlx's defaults).
    pub(crate) fn server(config: &crate::DbConfig) -> PoolOptions {
        PoolOptions {
            max_connections: config.max_connections.max(1),
            min_connections: config.min_connections,
            acquire_timeout: config.acquire_timeout,
            idle_timeout: Some(Duration::from_secs(600)),
            max_lifetime: Some(Duration::from_secs(1800)),
            health_checks: config.health_checks,
            keep_on_cancel: false,
        }
    }
}

/// An idle connection, boxed: a driver's connection is a large struct, and it moves in
/// and out of the idle list at every checkout.
struct Idle<C> {
    conn: Box<C>,
    /// When its `max_lifetime` ends.
    retire_at: Option<Instant>,
    /// When it is to be closed: the end of its lifetime or of its allowed idle time.
    expires: Option<Instant>,
}

/// A pool of connections of one driver.
pub(crate) struct ConnPool<C: PoolConn> {
    connect: C::Options,
    opts: PoolOptions,
    permits: Arc<Semaphore>,
    idle: Mutex<Vec<Idle<C>>>,
    closed: AtomicBool,
}

impl<C: PoolConn> ConnPool<C> {
    pub(crate) fn new(connect: C::Options, opts: PoolOptions) -> Arc<Self> {
        let max = opts.max_connections.max(1) as usize;
        Arc::new(ConnPool {
            connect,
            opts: PoolOptions {
                max_connections: max as u32,
                ..opts
            },
            permits: Arc::new(Semaphore::new(max)),
            idle: Mutex::new(Vec::with_capacity(max)),
            closed: AtomicBool::new(false),
        })
    }

    /// Check out a connection (waits up to `acquire_timeout` for one to be free).
    pub(crate) async fn acquire(self: &Arc<Self>) -> Result<Pooled<C>, sqlx::Error> {
        if self.closed.load(Ordering::Acquire) {
            return Err(sqlx::Error::PoolClosed);
        }
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => tokio::time::timeout(
                self.opts.acquire_timeout,
                self.permits.clone().acquire_owned(),
            )
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?,
        };
        self.checkout(permit).await
    }

    /// Check out a connection only if one is free now (`None` when every connection is
    /// in use).
    pub(crate) async fn try_acquire(self: &Arc<Self>) -> Option<Result<Pooled<C>, sqlx::Error>> {
        if self.closed.load(Ordering::Acquire) {
            return Some(Err(sqlx::Error::PoolClosed));
        }
        let permit = self.permits.clone().try_acquire_owned().ok()?;
        Some(self.checkout(permit).await)
    }

    /// The most recently used idle connection (checked if health checks are on), or a
    /// new one.
    async fn checkout(
        self: &Arc<Self>,
        permit: OwnedSemaphorePermit,
    ) -> Result<Pooled<C>, sqlx::Error> {
        loop {
            let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let Some(mut idle) = idle else { break };
            if idle.expires.is_some_and(|at| now() >= at) {
                (*idle.conn).discard();
                continue;
            }
            if self.opts.health_checks && idle.conn.ping().await.is_err() {
                tracing::info!(target: "trellis::orm", "dropping a dead pooled connection");
                continue;
            }
            return Ok(self.guard(idle.conn, idle.retire_at, permit));
        }
        let conn = Box::new(C::open(&self.connect).await?);
        let retire_at = self.opts.max_lifetime.map(|max| Instant::now() + max);
        Ok(self.guard(conn, retire_at, permit))
    }

    fn guard(
        self: &Arc<Self>,
        conn: Box<C>,
        retire_at: Option<Instant>,
        permit: OwnedSemaphorePermit,
    ) -> Pooled<C> {
        Pooled {
            conn: Some(conn),
            retire_at,
            pool: self.clone(),
            busy: false,
            close: false,
            _permit: permit,
        }
    }

    fn release(&self, conn: Box<C>, retire_at: Option<Instant>) {
        // The clock is read only when some deadline may have passed.
        let now = (retire_at.is_some() || self.opts.idle_timeout.is_some()).then(now);
        let past = |at: Option<Instant>| now.zip(at).is_some_and(|(now, at)| now >= at);
        if self.closed.load(Ordering::Acquire) || past(retire_at) {
            (*conn).discard();
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        // The oldest idle connection sits first: close it once it has idled too long.
        if idle.len() >= self.opts.min_connections as usize
            && idle.first().is_some_and(|i| past(i.expires))
        {
            (*idle.remove(0).conn).discard();
        }
        let idle_end = now.zip(self.opts.idle_timeout).map(|(now, max)| now + max);
        idle.push(Idle {
            conn,
            retire_at,
            expires: match (retire_at, idle_end) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        });
    }

    /// Refuse new checkouts, wait for checked-out connections to come back, close all.
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let all = self.opts.max_connections;
        let _all = self.permits.acquire_many(all).await;
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|e| e.into_inner()));
        for i in idle {
            i.conn.close().await;
        }
        self.permits.close();
    }
}

/// Whether an error means the connection itself is unusable (rather than the statement
/// being refused by the database): I/O and protocol errors, and the errors a server sends
/// just before it drops the connection (PostgreSQL's SQLSTATE class 08 and `57P01`-`57P03`
/// for a terminated backend or a shutdown; MySQL/MariaDB's 1053 server shutdown and 1927
/// connection killed).
pub(crate) fn is_broken(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08")
                || matches!(&*code, "57P01" | "57P02" | "57P03" | "1053" | "1927")
        }),
        _ => false,
    }
}

/// A checked-out connection; goes back to the pool when dropped.
pub(crate) struct Pooled<C: PoolConn> {
    conn: Option<Box<C>>,
    /// When its `max_lifetime` ends.
    retire_at: Option<Instant>,
    pool: Arc<ConnPool<C>>,
    busy: bool,
    close: bool,
    _permit: OwnedSemaphorePermit,
}

impl<C: PoolConn> Pooled<C> {
    /// The connection, for one statement: until [`finish`](Self::finish) is called, the
    /// statement counts as running, and dropping the guard then closes a connection that
    /// cannot survive a cancelled statement.
    pub(crate) fn start(&mut self) -> &mut C {
        self.busy = true;
        self.conn.as_mut().expect("connection present until drop")
    }

    /// The connection, for synchronous use (nothing can cancel it half-way).
    pub(crate) fn conn(&mut self) -> &mut C {
        self.conn.as_mut().expect("connection present until drop")
    }

    /// The statement ended (successfully or with `error`).
    pub(crate) fn finish(&mut self, error: Option<&sqlx::Error>) {
        self.busy = false;
        if error.is_some_and(is_broken) {
            self.close = true;
        }
    }

    /// Close the connection instead of returning it to the pool.
    pub(crate) fn close_on_drop(&mut self) {
        self.close = true;
    }
}

impl<C: PoolConn> Drop for Pooled<C> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if self.close || (self.busy && !self.pool.opts.keep_on_cancel) {
            conn.discard();
        } else {
            self.pool.release(conn, self.retire_at);
        }
        // The permit is released after this, so a waiter finds the connection idle.
    }
}

fn now() -> Instant {
    Instant::now()
}
