//! The server: hyper through axum, HTTP/1.1 keep-alive and HTTP/2 (h2c prior knowledge),
//! graceful shutdown on SIGINT/SIGTERM bounded by the drain timeout.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;

use tower::Service;

use crate::app::{BuiltApp, REQUEST, RequestLocal};

/// Serve a built app on `addr` until SIGINT or SIGTERM, then drain.
///
/// On the signal the listener closes, in-flight requests get `drain_timeout_secs` to
/// finish, and the function returns `Ok(())` (the process exits 0).
pub async fn serve(app: BuiltApp, addr: SocketAddr) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
    serve_listener(app, listener, shutdown_signal()).await
}

/// Serve on a bound listener until `shutdown` completes, then drain.
pub async fn serve_listener(
    app: BuiltApp,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let drain = Duration::from_secs(app.state.settings().drain_timeout_secs);
    let local = listener.local_addr()?;
    tracing::info!(address = %local, "Trellis serving on http://{local}/ (Ctrl-C to stop)");
    let (tx, mut rx) = tokio::sync::watch::channel(false);
    let service = app.service;
    let state = app.state.clone();
    // One service per connection; each request gets its context (app, peer address) here.
    let make_service = tower::service_fn(
        move |incoming: axum::serve::IncomingStream<'_, TcpListener>| {
            let peer = Some(*incoming.remote_addr());
            let service = service.clone();
            let state = state.clone();
            async move {
                Ok::<_, std::convert::Infallible>(tower::service_fn(
                    move |req: axum::extract::Request| {
                        let mut service = service.clone();
                        // The request's context is a task-local around its whole handling.
                        REQUEST.scope(RequestLocal::new(state.clone(), peer), async move {
                            service.call(req).await
                        })
                    },
                ))
            }
        },
    );
    let server = axum::serve(listener, make_service).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections; finishing in-flight requests");
        let _ = tx.send(true);
    });
    let deadline = async move {
        while !*rx.borrow() {
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        tokio::time::sleep(drain).await;
    };
    tokio::select! {
        r = server => {
            r?;
            tracing::info!("all requests finished; bye");
        }
        () = deadline => {
            tracing::warn!(seconds = drain.as_secs(), "drain timeout reached; dropping the connections left");
        }
    }
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
