//! The executor (Django's `executor.py`): plans which migrations to apply or unapply,
//! then runs each one's steps and records it, under the [`MigrationLock`].
//!
//! Where DDL is transactional (PostgreSQL, SQLite) every migration runs in a savepoint of
//! the lock's transaction, recorded in the same savepoint: a failing migration leaves
//! nothing behind, and those before it are committed. MySQL/MariaDB commit each DDL
//! statement implicitly, so a migration there runs statement by statement and is
//! recorded at its end.

use std::collections::BTreeSet;

use crate::backend::{Backend, Conn};
use crate::error::{Error, Result};
use crate::migrations::graph::{Key, MigrationGraph};
use crate::migrations::recorder::{self, MigrationLock};
use crate::migrations::{Migration, ProjectState, Step};

/// One entry of a plan: a migration and the direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStep {
    /// The migration.
    pub key: Key,
    /// Unapply (true) or apply (false).
    pub backwards: bool,
}

/// What `migrate` is asked to reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every app's latest migration.
    All,
    /// The app's latest migration.
    App(String),
    /// Unapply every migration of the app (and those depending on them).
    Zero(String),
    /// Exactly this migration: apply up to it, or unapply what comes after it.
    Migration(Key),
}

/// The migrations to run to reach `target`, given the applied set.
pub fn plan(
    graph: &MigrationGraph<'_>,
    applied: &BTreeSet<Key>,
    target: &Target,
) -> Result<Vec<PlanStep>> {
    let mut out: Vec<PlanStep> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut forward = |keys: Vec<Key>, out: &mut Vec<PlanStep>| {
        for k in keys {
            if !applied.contains(&k) && seen.insert(k.clone()) {
                out.push(PlanStep {
                    key: k,
                    backwards: false,
                });
            }
        }
    };
    match target {
        Target::All => {
            for k in graph.topo()? {
                forward(vec![k], &mut out);
            }
        }
        Target::App(app) => {
            if let Some(leaf) = graph.leaf(app)? {
                forward(graph.forwards_plan(&leaf)?, &mut out);
            }
        }
        Target::Zero(app) => {
            let roots: Vec<Key> = graph
                .app_nodes(app)?
                .into_iter()
                .filter(|k| {
                    graph
                        .node(k)
                        .is_some_and(|m| !m.dependencies.iter().any(|d| d.0 == *app))
                })
                .collect();
            backward(graph, applied, roots, &mut out)?;
        }
        Target::Migration(key) => {
            if applied.contains(key) {
                let children: Vec<Key> = graph
                    .topo()?
                    .into_iter()
                    .filter(|k| {
                        k.0 == key.0 && graph.node(k).is_some_and(|m| m.dependencies.contains(key))
                    })
                    .collect();
                backward(graph, applied, children, &mut out)?;
            } else {
                forward(graph.forwards_plan(key)?, &mut out);
            }
        }
    }
    Ok(out)
}

fn backward(
    graph: &MigrationGraph<'_>,
    applied: &BTreeSet<Key>,
    roots: Vec<Key>,
    out: &mut Vec<PlanStep>,
) -> Result<()> {
    let mut seen = BTreeSet::new();
    for root in roots {
        for k in graph.backwards_plan(&root)? {
            if applied.contains(&k) && seen.insert(k.clone()) {
                out.push(PlanStep {
                    key: k,
                    backwards: true,
                });
            }
        }
    }
    Ok(())
}

/// The steps of each operation of `migration`, in the order they run, with the
/// operation's description: forwards from `before` (the state just before the
/// migration), or backwards to it.
pub fn migration_steps(
    migration: &Migration,
    before: &ProjectState,
    backend: Backend,
    backwards: bool,
) -> Result<Vec<(String, Vec<Step>)>> {
    let mut states = vec![before.clone()];
    for op in &migration.operations {
        let mut next = states.last().unwrap().clone();
        op.state_forwards(migration.app, &mut next)?;
        states.push(next);
    }
    let mut out = Vec::new();
    if backwards {
        for (i, op) in migration.operations.iter().enumerate().rev() {
            let steps =
                op.database_backwards(migration.app, backend, &states[i + 1], &states[i])?;
            out.push((op.describe(), steps));
        }
    } else {
        for (i, op) in migration.operations.iter().enumerate() {
            let steps = op.database_forwards(migration.app, backend, &states[i], &states[i + 1])?;
            out.push((op.describe(), steps));
        }
    }
    Ok(out)
}

async fn run_steps(conn: Conn<'_>, steps: Vec<(String, Vec<Step>)>) -> Result<()> {
    let backend = conn.backend();
    for (describe, steps) in steps {
        for step in steps {
            let result = match step {
                Step::Sql(sql) => conn.execute_raw(&sql).await.map(|_| ()),
                Step::Code(code) => {
                    let r = code(conn).await;
                    if r.is_ok() && backend == Backend::Postgres {
                        // Check deferred foreign keys now, so that later DDL does not meet
                        // "pending trigger events".
                        conn.execute_raw("SET CONSTRAINTS ALL IMMEDIATE").await?;
                        conn.execute_raw("SET CONSTRAINTS ALL DEFERRED").await?;
                    }
                    r
                }
            };
            result.map_err(|e| Error::Migration(format!("{describe}: {e}")))?;
        }
    }
    Ok(())
}

/// SQLite runs migrations with foreign-key enforcement off (table rebuilds need it):
/// check the constraints before each migration's savepoint is released.
async fn sqlite_fk_check(conn: Conn<'_>) -> Result<()> {
    let rows = conn
        .fetch_all("PRAGMA foreign_key_check".into(), sea_query::Values(vec![]))
        .await?;
    if let Some(row) = rows.first() {
        return Err(Error::Migration(format!(
            "foreign key violation after the migration: a row of {} points at a missing row of {} ({} violation(s))",
            row.json(0),
            row.json(2),
            rows.len()
        )));
    }
    Ok(())
}

async fn run_one(conn: Conn<'_>, graph: &MigrationGraph<'_>, step: &PlanStep) -> Result<()> {
    let migration = graph
        .node(&step.key)
        .ok_or_else(|| Error::Migration(format!("unknown migration {}", step.key.1)))?;
    let before = graph.state_before(&step.key)?;
    let steps = migration_steps(migration, &before, conn.backend(), step.backwards)?;
    run_steps(conn, steps).await?;
    if conn.backend() == Backend::Sqlite {
        sqlite_fk_check(conn).await?;
    }
    if step.backwards {
        recorder::record_unapplied(conn, &step.key.0, &step.key.1).await
    } else {
        recorder::record_applied(conn, &step.key.0, &step.key.1).await
    }
}

/// Take the lock, read the applied set, plan for `target`, run the plan, release.
/// Returns one log line per migration (`Applying blog.0001_initial... OK`).
pub async fn execute(
    db: &crate::Db,
    graph: &MigrationGraph<'_>,
    target: &Target,
) -> Result<Vec<String>> {
    let lock = MigrationLock::acquire(db).await?;
    let result = execute_locked(&lock, graph, target).await;
    let released = lock.release().await;
    let log = result?;
    released?;
    Ok(log)
}

async fn execute_locked(
    lock: &MigrationLock,
    graph: &MigrationGraph<'_>,
    target: &Target,
) -> Result<Vec<String>> {
    recorder::ensure_table(lock.conn()).await?;
    let applied = recorder::applied(lock.conn()).await?;
    let plan = plan(graph, &applied, target)?;
    let mut log = Vec::new();
    if plan.is_empty() {
        log.push("No migrations to apply.".to_string());
        return Ok(log);
    }
    let transactional = lock.conn().backend().features().supports_transactional_ddl;
    for step in &plan {
        let verb = if step.backwards {
            "Unapplying"
        } else {
            "Applying"
        };
        let what = format!("{}.{}", step.key.0, step.key.1);
        let result = if transactional {
            let sp = lock.tx.savepoint().await?;
            match run_one(Conn::Tx(&sp), graph, step).await {
                Ok(()) => sp.commit().await,
                Err(e) => {
                    sp.rollback().await?;
                    Err(e)
                }
            }
        } else {
            run_one(lock.conn(), graph, step).await
        };
        if let Err(e) = result {
            return Err(Error::Migration(format!(
                "{verb} {what} failed{}: {}",
                if transactional {
                    " (rolled back; the migrations before it stay applied)"
                } else {
                    " (this backend has no transactional DDL: check the schema by hand)"
                },
                match e {
                    Error::Migration(m) => m,
                    other => other.to_string(),
                }
            )));
        }
        log.push(format!("{verb} {what}... OK"));
    }
    Ok(log)
}
