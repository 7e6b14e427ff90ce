//! Transactions: [`Tx`] is a handle to one connection inside `BEGIN`, cheap to clone.
//! Nested [`Tx::atomic`] blocks become savepoints; [`Tx::on_commit`] callbacks run only after
//! the outermost commit and are dropped when their block rolls back.

use std::sync::{Arc, Mutex};

use crate::backend::db::Pool;
use crate::backend::lite::LiteConn;
use crate::backend::pg::PgConn;
use crate::backend::pool::Pooled;
use crate::backend::{Backend, Conn, Db};
use crate::error::{Error, Result};
use futures_util::future::BoxFuture;

pub(crate) enum TxConn {
    Sqlite(Box<Pooled<LiteConn>>),
    Postgres(Box<Pooled<PgConn>>),
    MySql(Pooled<sqlx::MySqlConnection>),
}

impl TxConn {
    fn close_on_drop(&mut self) {
        match self {
            TxConn::Sqlite(c) => c.close_on_drop(),
            TxConn::Postgres(c) => c.close_on_drop(),
            TxConn::MySql(c) => c.close_on_drop(),
        }
    }
}

/// A callback to run after the outermost commit.
pub type OnCommit = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

#[derive(Default)]
struct TxState {
    finished: bool,
    callbacks: Vec<(usize, OnCommit)>,
}

struct TxInner {
    db: Db,
    conn: tokio::sync::Mutex<Option<TxConn>>,
    state: Mutex<TxState>,
    /// SQLite: this transaction's turn at the write lock, until it ends.
    gate: Mutex<Option<tokio::sync::OwnedSemaphorePermit>>,
}

impl Drop for TxInner {
    fn drop(&mut self) {
        // Dropped without commit or rollback (a panic, a forgotten handle): never hand a
        // connection that is inside a transaction back to the pool.
        if let Some(conn) = self.conn.get_mut().as_mut() {
            conn.close_on_drop();
        }
    }
}

/// A database transaction (or a savepoint inside one).
///
/// ```
/// # async fn demo(db: trellis_orm::Db) -> trellis_orm::Result<()> {
/// let n = db
///     .atomic(|tx| async move {
///         tx.on_commit(|| async { println!("committed") });
///         Ok::<_, trellis_orm::Error>(1)
///     })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Tx {
    inner: Arc<TxInner>,
    level: usize,
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tx")
            .field("db", &self.inner.db)
            .field("level", &self.level)
            .finish()
    }
}

impl Db {
    /// Start a transaction. Finish it with [`Tx::commit`] or [`Tx::rollback`]; a `Tx`
    /// dropped without either rolls back (its connection is closed, not reused).
    pub async fn begin(&self) -> Result<Tx> {
        self.begin_with_setup(&[]).await
    }

    /// Start a transaction after running `setup` on its connection outside any transaction
    /// (settings that cannot change inside one, such as SQLite's `PRAGMA foreign_keys =
    /// OFF` for the migrations' table rebuilds). With a setup, the connection is closed
    /// when the transaction ends instead of going back to the pool, so the settings do
    /// not leak; except for in-memory SQLite, whose one connection is the database: there
    /// the caller restores the settings.
    pub(crate) async fn begin_with_setup(&self, setup: &[&str]) -> Result<Tx> {
        // SQLite: wait for the write lock in this process's queue first (`BEGIN IMMEDIATE`
        // below takes SQLite's, which is then free).
        let gate = match self.backend() {
            Backend::Sqlite => Some(self.inner.write_gate.enter().await?),
            _ => None,
        };
        let conn = match self.inner.pool() {
            Pool::Sqlite(p) => TxConn::Sqlite(Box::new(p.acquire().await?)),
            Pool::Postgres(p, _) => TxConn::Postgres(Box::new(p.acquire().await?)),
            Pool::MySql(p) => TxConn::MySql(p.acquire().await?),
        };
        let tx = Tx {
            inner: Arc::new(TxInner {
                db: self.clone(),
                conn: tokio::sync::Mutex::new(Some(conn)),
                state: Mutex::new(TxState::default()),
                gate: Mutex::new(gate),
            }),
            level: 0,
        };
        for sql in setup {
            Conn::Tx(&tx).execute_raw(sql).await?;
        }
        let memory = self.url().contains(":memory:") || self.url().contains("mode=memory");
        if !setup.is_empty()
            && !memory
            && let Some(c) = tx.inner.conn.lock().await.as_mut()
        {
            c.close_on_drop();
        }
        // SQLite: take the write lock up front, so two writers queue instead of deadlocking.
        let begin = if self.backend() == Backend::Sqlite {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN"
        };
        Conn::Tx(&tx).execute_raw(begin).await?;
        Ok(tx)
    }

    /// Run `f` in a transaction: commit when it returns `Ok`, roll back on `Err`.
    pub async fn atomic<T, E, F, Fut>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(Tx) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        let tx = self.begin().await?;
        tx.run(f).await
    }
}

impl Tx {
    /// The database this transaction runs on.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// 0 for the outermost transaction, 1 for a savepoint in it, and so on.
    pub fn depth(&self) -> usize {
        self.level
    }

    pub(crate) async fn lock_conn(&self) -> Result<tokio::sync::MappedMutexGuard<'_, TxConn>> {
        let guard = self.inner.conn.lock().await;
        if guard.is_none() {
            return Err(Error::InvalidQuery(
                "the transaction is already finished".into(),
            ));
        }
        Ok(tokio::sync::MutexGuard::map(guard, |c| {
            c.as_mut().expect("checked above")
        }))
    }

    fn savepoint_name(level: usize) -> String {
        format!("trellis_sp_{level}")
    }

    /// Open a savepoint: a nested transaction that can roll back on its own.
    pub async fn savepoint(&self) -> Result<Tx> {
        let level = self.level + 1;
        Conn::Tx(self)
            .execute_raw(&format!("SAVEPOINT {}", Self::savepoint_name(level)))
            .await?;
        Ok(Tx {
            inner: self.inner.clone(),
            level,
        })
    }

    /// Run `f` in a savepoint: released when it returns `Ok`, rolled back on `Err`.
    pub async fn atomic<T, E, F, Fut>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(Tx) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        let sp = self.savepoint().await?;
        sp.run(f).await
    }

    async fn run<T, E, F, Fut>(self, f: F) -> Result<T, E>
    where
        F: FnOnce(Tx) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        match f(self.clone()).await {
            Ok(v) => {
                self.commit().await?;
                Ok(v)
            }
            Err(e) => {
                self.rollback().await?;
                Err(e)
            }
        }
    }

    /// Register `f` to run after the outermost transaction commits. Dropped if this block
    /// (or one around it) rolls back. Callbacks run in registration order.
    pub fn on_commit<F, Fut>(&self, f: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let cb: OnCommit = Box::new(move || Box::pin(f()));
        self.inner
            .state
            .lock()
            .unwrap()
            .callbacks
            .push((self.level, cb));
    }

    /// Commit (or release the savepoint). The outermost commit runs the `on_commit`
    /// callbacks, after the connection is back in the pool.
    pub async fn commit(self) -> Result<()> {
        if self.level > 0 {
            let name = Self::savepoint_name(self.level);
            Conn::Tx(&self)
                .execute_raw(&format!("RELEASE SAVEPOINT {name}"))
                .await?;
            let mut state = self.inner.state.lock().unwrap();
            for (level, _) in state.callbacks.iter_mut() {
                if *level >= self.level {
                    *level = self.level - 1;
                }
            }
            return Ok(());
        }
        Conn::Tx(&self).execute_raw("COMMIT").await?;
        let callbacks = {
            let mut state = self.inner.state.lock().unwrap();
            state.finished = true;
            std::mem::take(&mut state.callbacks)
        };
        self.inner.conn.lock().await.take();
        self.inner.gate.lock().unwrap().take();
        for (_, cb) in callbacks {
            cb().await;
        }
        Ok(())
    }

    /// Roll back (or roll back to the savepoint), dropping the `on_commit` callbacks
    /// registered inside.
    pub async fn rollback(self) -> Result<()> {
        if self.level > 0 {
            let name = Self::savepoint_name(self.level);
            Conn::Tx(&self)
                .execute_raw(&format!("ROLLBACK TO SAVEPOINT {name}"))
                .await?;
            Conn::Tx(&self)
                .execute_raw(&format!("RELEASE SAVEPOINT {name}"))
                .await?;
            let mut state = self.inner.state.lock().unwrap();
            state.callbacks.retain(|(level, _)| *level < self.level);
            return Ok(());
        }
        let result = Conn::Tx(&self).execute_raw("ROLLBACK").await;
        {
            let mut state = self.inner.state.lock().unwrap();
            state.finished = true;
            state.callbacks.clear();
        }
        let mut conn = self.inner.conn.lock().await;
        if result.is_err()
            && let Some(c) = conn.as_mut()
        {
            c.close_on_drop();
        }
        conn.take();
        self.inner.gate.lock().unwrap().take();
        result.map(|_| ())
    }
}

/// Run `f` after the current transaction commits, or right away when `executor` is not in
/// a transaction (Django's `transaction.on_commit`).
pub async fn on_commit<E, F, Fut>(executor: &E, f: F)
where
    E: crate::Executor + ?Sized,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    match executor.conn() {
        Conn::Tx(tx) => tx.on_commit(f),
        Conn::Db(_) => f().await,
    }
}
