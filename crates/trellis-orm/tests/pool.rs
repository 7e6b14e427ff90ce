//! The connection pool: connections are reused, a dead or half-used connection is never
//! handed out again, checkout waits and times out, a closed pool refuses queries; SQLite
//! statements run inline but never stall the event loop when slow or waiting for a lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use trellis_orm::backend::Backend;
use trellis_orm::{Db, DbConfig, Error, raw_execute, raw_rows};

/// The server's id for the connection a query runs on.
async fn session_id(db: &Db) -> trellis_orm::Result<i64> {
    let sql = match db.backend() {
        Backend::Postgres => "SELECT pg_backend_pid()",
        Backend::MySql => "SELECT CONNECTION_ID()",
        Backend::Sqlite => unreachable!("SQLite has no server session"),
    };
    let rows = raw_rows(db, sql, []).await?;
    let v = rows[0].json(0);
    Ok(v.as_i64()
        .unwrap_or_else(|| panic!("an integer id, got {v}")))
}

fn servers() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (name, var) in [
        ("PostgreSQL", "TRELLIS_TEST_POSTGRES"),
        ("MySQL/MariaDB", "TRELLIS_TEST_MYSQL"),
    ] {
        match std::env::var(var) {
            Ok(url) if !url.is_empty() => out.push((name, url)),
            _ => println!("skipped: pool tests on {name} (set {var})"),
        }
    }
    out
}

/// A pool of one connection to `url`.
async fn one_connection(url: &str, health_checks: bool) -> Db {
    Db::connect_with(DbConfig {
        max_connections: 1,
        health_checks,
        ..DbConfig::new(url)
    })
    .await
    .unwrap()
}

async fn kill(admin: &Db, id: i64) {
    let sql = match admin.backend() {
        Backend::Postgres => format!("SELECT pg_terminate_backend({id})"),
        _ => format!("KILL {id}"),
    };
    raw_execute(admin, &sql, [])
        .await
        .expect("kill the session");
    // Let the server finish closing the socket.
    tokio::time::sleep(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn sequential_queries_reuse_one_connection() {
    for (name, url) in servers() {
        let db = Db::connect(&url).await.unwrap();
        let first = session_id(&db).await.unwrap();
        for _ in 0..10 {
            assert_eq!(session_id(&db).await.unwrap(), first, "{name}");
        }
        db.close().await;
    }
}

#[tokio::test]
async fn a_connection_killed_while_idle_fails_once_then_is_replaced() {
    for (name, url) in servers() {
        let admin = Db::connect(&url).await.unwrap();
        let db = one_connection(&url, false).await;
        let before = session_id(&db).await.unwrap();
        kill(&admin, before).await;
        // Without health checks the dead connection is found by the next query (as in
        // Django with CONN_HEALTH_CHECKS = False) ...
        let err = session_id(&db)
            .await
            .expect_err("the connection was killed");
        assert!(matches!(err, Error::Database(_)), "{name}: {err}");
        // ... and is not handed out again.
        let after = session_id(&db).await.unwrap();
        assert_ne!(before, after, "{name}");
        db.close().await;

        // With health checks the dead connection is replaced before the query runs.
        let checked = one_connection(&url, true).await;
        let before = session_id(&checked).await.unwrap();
        kill(&admin, before).await;
        let after = session_id(&checked)
            .await
            .expect("health check replaced it");
        assert_ne!(before, after, "{name}");
        checked.close().await;
        admin.close().await;
    }
}

#[tokio::test]
async fn a_cancelled_statement_does_not_leave_its_connection_in_the_pool() {
    for (name, url) in servers() {
        let db = one_connection(&url, false).await;
        let before = session_id(&db).await.unwrap();
        let sleep = match db.backend() {
            Backend::Postgres => "SELECT pg_sleep(3)",
            _ => "SELECT SLEEP(3)",
        };
        let cancelled =
            tokio::time::timeout(Duration::from_millis(200), raw_rows(&db, sleep, [])).await;
        assert!(cancelled.is_err(), "{name}: the sleep was cut short");
        // The next query gets a clean connection at once, not the one still waiting for
        // the sleep's reply.
        let started = std::time::Instant::now();
        let after = session_id(&db).await.unwrap();
        assert_ne!(before, after, "{name}");
        assert!(started.elapsed() < Duration::from_secs(2), "{name}");
        let rows = raw_rows(&db, "SELECT 1 + 1", []).await.unwrap();
        assert_eq!(rows[0].json(0), serde_json::json!(2), "{name}");
        db.close().await;
    }
}

/// A task that counts 5 ms ticks, to see whether the async worker is stalled.
fn ticker() -> (Arc<AtomicU32>, tokio::task::JoinHandle<()>) {
    let ticks = Arc::new(AtomicU32::new(0));
    let t = ticks.clone();
    let handle = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(5)).await;
            t.fetch_add(1, Ordering::Relaxed);
        }
    });
    (ticks, handle)
}

fn temp_sqlite(tag: &str) -> (String, std::path::PathBuf) {
    let path =
        std::env::temp_dir().join(format!("trellis-pool-{tag}-{}.sqlite3", std::process::id()));
    (format!("sqlite://{}", path.display()), path)
}

fn remove(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

// One async worker: a SQLite statement that runs long must not stall it. Statements run
// inline on the worker; past ~1 ms of work one is moved off it (block_in_place).
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_slow_sqlite_query_does_not_stall_the_event_loop() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    let (ticks, handle) = ticker();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let before = ticks.load(Ordering::Relaxed);
    let started = std::time::Instant::now();
    let slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
                WHERE x < 3000000) SELECT count(*) FROM c";
    // On the runtime's one worker thread, beside the ticker (the test body itself runs on
    // the test's own thread).
    let rows = tokio::spawn({
        let db = db.clone();
        async move { raw_rows(&db, slow, []).await }
    })
    .await
    .unwrap()
    .unwrap();
    let took = started.elapsed();
    assert_eq!(rows[0].json(0), serde_json::json!(3_000_000));
    let during = ticks.load(Ordering::Relaxed) - before;
    // Ticks kept coming while the query ran (at least a third of the ideal count).
    let ideal = (took.as_millis() / 5) as u32;
    eprintln!("{during} ticks in {took:?} (ideal {ideal})");
    assert!(
        took < Duration::from_millis(100) || during >= ideal / 3,
        "{during} ticks in {took:?}"
    );
    handle.abort();
}

// A write that finds the database locked by another connection's transaction waits for
// it off the event loop, then succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_sqlite_write_waits_for_the_lock_without_stalling_the_event_loop() {
    let (url, path) = temp_sqlite("busy");
    let db = Db::connect(&url).await.unwrap();
    raw_execute(&db, "CREATE TABLE t (x integer)", [])
        .await
        .unwrap();
    let tx = db.begin().await.unwrap();
    raw_execute(&tx, "INSERT INTO t VALUES (1)", [])
        .await
        .unwrap();
    let writer = tokio::spawn({
        let db = db.clone();
        async move { raw_execute(&db, "INSERT INTO t VALUES (2)", []).await }
    });
    let (ticks, handle) = ticker();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!writer.is_finished(), "the writer waits for the lock");
    assert!(
        ticks.load(Ordering::Relaxed) >= 20,
        "the event loop went on meanwhile ({} ticks)",
        ticks.load(Ordering::Relaxed)
    );
    tx.commit().await.unwrap();
    assert_eq!(writer.await.unwrap().unwrap(), 1);
    let rows = raw_rows(&db, "SELECT count(*) FROM t", []).await.unwrap();
    assert_eq!(rows[0].json(0), serde_json::json!(2));
    handle.abort();
    db.close().await;
    remove(&path);
}

#[tokio::test]
async fn checkout_waits_for_a_free_connection_then_times_out() {
    let (url, path) = temp_sqlite("wait");
    let db = Db::connect_with(DbConfig {
        max_connections: 1,
        acquire_timeout: Duration::from_millis(300),
        ..DbConfig::new(url)
    })
    .await
    .unwrap();
    let tx = db.begin().await.unwrap();
    let started = std::time::Instant::now();
    let err = raw_rows(&db, "SELECT 1", [])
        .await
        .expect_err("no free connection");
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(
        matches!(err, Error::Database(sqlx::Error::PoolTimedOut)),
        "{err}"
    );
    // A query that waits gets the connection as soon as the transaction ends.
    let waiting = tokio::spawn({
        let db = db.clone();
        async move { raw_rows(&db, "SELECT 7", []).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    tx.commit().await.unwrap();
    let rows = waiting.await.unwrap().unwrap();
    assert_eq!(rows[0].json(0), serde_json::json!(7));
    db.close().await;
    remove(&path);
}

#[tokio::test]
async fn a_closed_pool_refuses_queries() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    db.close().await;
    let err = raw_rows(&db, "SELECT 1", []).await.expect_err("closed");
    assert!(
        matches!(err, Error::Database(sqlx::Error::PoolClosed)),
        "{err}"
    );
}

// Many writers at once (transactions and single statements): they queue for SQLite's
// one write lock in this process and every write lands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sqlite_writers_queue_and_all_commit() {
    let (url, path) = temp_sqlite("writers");
    let db = Db::connect(&url).await.unwrap();
    raw_execute(&db, "CREATE TABLE counter (n integer)", [])
        .await
        .unwrap();
    raw_execute(&db, "INSERT INTO counter VALUES (0)", [])
        .await
        .unwrap();
    raw_execute(&db, "CREATE TABLE log (x integer)", [])
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let db1 = db.clone();
        tasks.push(tokio::spawn(async move {
            db1.atomic(|tx| async move {
                let rows = raw_rows(&tx, "SELECT n FROM counter", []).await?;
                let n = rows[0].json(0).as_i64().unwrap();
                raw_execute(&tx, "UPDATE counter SET n = ?", [(n + 1).into()]).await?;
                Ok::<_, Error>(())
            })
            .await
        }));
        let db2 = db.clone();
        tasks.push(tokio::spawn(async move {
            raw_execute(&db2, "INSERT INTO log VALUES (?)", [i.into()])
                .await
                .map(|_| ())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let n = raw_rows(&db, "SELECT n FROM counter", []).await.unwrap();
    assert_eq!(n[0].json(0), serde_json::json!(40), "no lost update");
    let logged = raw_rows(&db, "SELECT count(*) FROM log", []).await.unwrap();
    assert_eq!(logged[0].json(0), serde_json::json!(40));
    db.close().await;
    remove(&path);
}

fn postgres() -> Option<String> {
    match std::env::var("TRELLIS_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            println!("skipped: shared PostgreSQL connection tests (set TRELLIS_TEST_POSTGRES)");
            None
        }
    }
}

/// A pool of two PostgreSQL connections: one shared by reads, one of their own for the
/// rest.
async fn two_connections(url: &str) -> Db {
    Db::connect_with(DbConfig {
        max_connections: 2,
        ..DbConfig::new(url)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn postgres_reads_share_a_connection_and_writes_take_their_own() {
    let Some(url) = postgres() else { return };
    let db = two_connections(&url).await;
    let read = session_id(&db).await.unwrap();
    // While a transaction holds the other connection, many reads at once all run,
    // pipelined on the shared one (none waits for the transaction's connection).
    let tx = db.begin().await.unwrap();
    let ids = tokio::time::timeout(
        Duration::from_secs(10),
        futures_util::future::join_all((0..20).map(|_| session_id(&db))),
    )
    .await
    .expect("no read waits for the transaction's connection");
    for id in ids {
        assert_eq!(id.unwrap(), read);
    }
    tx.rollback().await.unwrap();
    // A statement that is not a plain read runs on a connection of its own.
    let rows = raw_rows(&db, "WITH t AS (SELECT 1) SELECT pg_backend_pid()", [])
        .await
        .unwrap();
    assert_ne!(rows[0].json(0).as_i64().unwrap(), read);
    db.close().await;
}

#[tokio::test]
async fn a_slow_postgres_read_does_not_hold_up_the_reads_behind_it() {
    let Some(url) = postgres() else { return };
    let db = two_connections(&url).await;
    let shared = session_id(&db).await.unwrap();
    let slow = tokio::spawn({
        let db = db.clone();
        async move { raw_rows(&db, "SELECT pg_sleep(1)", []).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The shared connection has finished nothing for a while: this read goes elsewhere
    // instead of waiting a second behind the sleep.
    let started = std::time::Instant::now();
    let other = session_id(&db).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(700));
    assert_ne!(other, shared);
    slow.await.unwrap().unwrap();
    // Once the slow read is done, reads share the connection again.
    assert_eq!(session_id(&db).await.unwrap(), shared);
    db.close().await;
}

#[tokio::test]
async fn a_cancelled_shared_postgres_read_retires_its_connection() {
    let Some(url) = postgres() else { return };
    let db = Db::connect(&url).await.unwrap();
    let before = session_id(&db).await.unwrap();
    let cancelled = tokio::time::timeout(
        Duration::from_millis(200),
        raw_rows(&db, "SELECT pg_sleep(3)", []),
    )
    .await;
    assert!(cancelled.is_err(), "the sleep was cut short");
    let started = std::time::Instant::now();
    let after = session_id(&db).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_ne!(before, after);
    db.close().await;
}

#[tokio::test]
async fn a_closed_postgres_pool_refuses_reads() {
    let Some(url) = postgres() else { return };
    let db = Db::connect(&url).await.unwrap();
    session_id(&db).await.unwrap();
    db.close().await;
    let err = session_id(&db).await.expect_err("closed");
    assert!(
        matches!(err, Error::Database(sqlx::Error::PoolClosed)),
        "{err}"
    );
}
