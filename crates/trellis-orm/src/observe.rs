//! Watching the queries a unit of work runs: counting them (tests assert "one query") and the
//! **N+1 detector**: inside one request or test scope, the same query shape run more than N
//! times is reported, naming the model and relation and the fix.
//!
//! Queries are bound-parameter SQL, so the SQL text *is* the shape: fetching the author of
//! 50 posts one by one runs one text 50 times. Only reads (`SELECT`) are watched: writes
//! and transaction control are recorded in the report but never flagged.
//!
//! ```
//! use trellis_orm::observe::{self, Detect};
//! # async fn demo() {
//! let ((), report) = observe::scope(Detect::Warn { threshold: 5 }, async {
//!     // ... queries ...
//! })
//! .await;
//! assert!(report.queries.is_empty());
//! # }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};

/// What the N+1 detector does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detect {
    /// No detection (queries are still counted).
    Off,
    /// Log a warning (once per shape) when a shape runs more than `threshold` times.
    Warn {
        /// How many runs of one shape are fine.
        threshold: usize,
    },
    /// Fail the offending query with [`Error::NPlusOne`] (for tests).
    Error {
        /// How many runs of one shape are fine.
        threshold: usize,
    },
}

/// Where a query comes from, when the ORM knows: lets the detector name the fix.
#[derive(Debug, Clone, Copy)]
pub struct Hint {
    /// The model whose relation is being followed (`Post`).
    pub model: &'static str,
    /// The relation (`author`).
    pub relation: &'static str,
    /// `select_related` or `prefetch_related`.
    pub fix: &'static str,
}

/// What a scope saw.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Every query, in order.
    pub queries: Vec<String>,
    /// The N+1 findings (one message per repeated shape).
    pub findings: Vec<String>,
}

#[derive(Default)]
struct State {
    report: Report,
    counts: HashMap<String, usize>,
}

struct Scope {
    detect: Detect,
    state: Mutex<State>,
}

tokio::task_local! {
    static SCOPE: Arc<Scope>;
}

/// Run `fut` in an observation scope: its queries are recorded and the detector watches them.
/// Scopes nest: the innermost one sees the queries.
pub async fn scope<F: Future>(detect: Detect, fut: F) -> (F::Output, Report) {
    let scope = Arc::new(Scope {
        detect,
        state: Mutex::new(State::default()),
    });
    let out = SCOPE.scope(scope.clone(), fut).await;
    let report = std::mem::take(&mut scope.state.lock().unwrap().report);
    (out, report)
}

/// Run `fut` and return the SQL of every query it ran (no N+1 detection).
pub async fn capture_queries<F: Future>(fut: F) -> (F::Output, Vec<String>) {
    let (out, report) = scope(Detect::Off, fut).await;
    (out, report.queries)
}

/// Whether `sql` reads rows: only reads are N+1 candidates. Writes repeated in a loop
/// (a smell `bulk_create` fixes) and transaction control (`BEGIN`, `SAVEPOINT`, ...) are
/// recorded but never reported.
fn is_read(sql: &str) -> bool {
    let head = sql.trim_start();
    head.get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("select"))
        || head
            .get(..4)
            .is_some_and(|w| w.eq_ignore_ascii_case("with"))
}

/// Called by the executor before every query.
pub(crate) fn observe(sql: &str, hint: Option<Hint>) -> Result<()> {
    let Ok(scope) = SCOPE.try_with(|s| s.clone()) else {
        return Ok(());
    };
    let mut state = scope.state.lock().unwrap();
    state.report.queries.push(sql.to_string());
    let threshold = match scope.detect {
        Detect::Off => return Ok(()),
        Detect::Warn { threshold } | Detect::Error { threshold } => threshold,
    };
    if !is_read(sql) {
        return Ok(());
    }
    let count = {
        let c = state.counts.entry(sql.to_string()).or_insert(0);
        *c += 1;
        *c
    };
    if count != threshold + 1 {
        return Ok(());
    }
    let message = match hint {
        Some(h) => format!(
            "N+1 queries: {}.{} was fetched {count} times in one scope, one query per object; \
             load it with the list instead: .{}(\"{}\")",
            h.model, h.relation, h.fix, h.relation
        ),
        None => format!(
            "N+1 queries: the same query ran {count} times in one scope \
             (use select_related/prefetch_related or one query with `in`): {sql}"
        ),
    };
    state.report.findings.push(message.clone());
    drop(state);
    match scope.detect {
        Detect::Error { .. } => Err(Error::NPlusOne(message)),
        _ => {
            tracing::warn!(target: "trellis::orm", "{message}");
            Ok(())
        }
    }
}
