//! The API's dependencies: a database session with a teardown (commit or roll back),
//! the calling client, and the current user built from both.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use trellis::prelude::*;

/// What the session teardowns did, newest last (app state, so tests can read it).
#[derive(Debug, Clone, Default)]
pub struct TxLog(pub Arc<Mutex<Vec<String>>>);

impl TxLog {
    /// The entries so far.
    pub fn entries(&self) -> Vec<String> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// A (pretend) database session: opened per request, committed after a successful
/// response, rolled back after a failure.
#[derive(Debug, Clone)]
pub struct DbSession {
    /// Session number.
    pub id: u64,
}

impl Dependency for DbSession {
    async fn resolve(cx: &mut Resolver<'_>) -> Result<Self, HttpError> {
        let id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
        let log: TxLog = cx.app_state()?;
        cx.on_teardown(move |outcome| async move {
            let action = if outcome.failed() {
                "rollback"
            } else {
                "commit"
            };
            tracing::info!(session = id, status = %outcome.status(), "db session {action}");
            if let Ok(mut v) = log.0.lock() {
                v.push(format!("{action} {id}"));
            }
        });
        Ok(DbSession { id })
    }
}

/// The calling client, from the `User-Agent` header.
#[derive(Debug, Clone)]
pub struct ApiClient(pub String);

impl Dependency for ApiClient {
    async fn resolve(cx: &mut Resolver<'_>) -> Result<Self, HttpError> {
        let headers: HeaderMap = cx.extract().await?;
        let ua = headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("unknown");
        Ok(ApiClient(ua.to_string()))
    }
}

/// The current user: needs a session and the client (sub-dependencies).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// Display name.
    pub name: String,
    /// Client description.
    pub client: String,
    /// The session the user was loaded with.
    pub session: u64,
}

impl Dependency for CurrentUser {
    fn declare(deps: &mut Declare) {
        deps.depends_on::<DbSession>().depends_on::<ApiClient>();
    }

    async fn resolve(cx: &mut Resolver<'_>) -> Result<Self, HttpError> {
        let db: DbSession = cx.get().await?;
        let client: ApiClient = cx.get().await?;
        Ok(CurrentUser {
            name: "Ada".into(),
            client: client.0,
            session: db.id,
        })
    }
}
