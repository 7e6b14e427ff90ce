//! The connection pool: connections are reused, a dead or half-used connection is never
//! handed out again, checkout waits and times out, a closed pool refuses queries.

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
        let db = Db::connect_with(DbConfig {
            max_connections: 1,
            ..DbConfig::new(url.clone())
        })
        .await
        .unwrap();
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
        let checked = Db::connect_with(DbConfig {
            max_connections: 1,
            health_checks: true,
            ..DbConfig::new(url.clone())
        })
        .await
        .unwrap();
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
        let db = Db::connect_with(DbConfig {
            max_connections: 1,
            ..DbConfig::new(url.clone())
        })
        .await
        .unwrap();
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

#[tokio::test]
async fn in_memory_sqlite_keeps_its_database_after_a_cancelled_statement() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    raw_execute(&db, "CREATE TABLE t (x integer)", [])
        .await
        .unwrap();
    raw_execute(&db, "INSERT INTO t VALUES (1), (2)", [])
        .await
        .unwrap();
    let slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
                WHERE x < 30000000) SELECT count(*) FROM c";
    let cancelled = tokio::time::timeout(Duration::from_millis(50), raw_rows(&db, slow, [])).await;
    assert!(cancelled.is_err(), "the slow query was cut short");
    let rows = raw_rows(&db, "SELECT count(*) FROM t", []).await.unwrap();
    assert_eq!(rows[0].json(0), serde_json::json!(2));
}

#[tokio::test]
async fn checkout_waits_for_a_free_connection_then_times_out() {
    let path = std::env::temp_dir().join(format!("trellis-pool-{}.sqlite3", std::process::id()));
    let db = Db::connect_with(DbConfig {
        max_connections: 1,
        acquire_timeout: Duration::from_millis(300),
        ..DbConfig::new(format!("sqlite://{}", path.display()))
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
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
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
