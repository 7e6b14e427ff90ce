//! Middleware: the chain of hooks around every request.
//!
//! Any tower [`Layer`](tower::Layer) works (`App::layer`), and so does a Django-style
//! function middleware, `async fn(req, next) -> Response` ([`from_fn`], `App::middleware`),
//! which can act before the handler, after it, or answer early without calling `next`.
//!
//! # The default stack
//!
//! On unless `default_middleware = false`. Listed from the outermost (sees the request
//! first and the response last) to the innermost:
//!
//! | # | middleware | what it does | setting |
//! |---|---|---|---|
//! | 1 | request id | `x-request-id` from the client or a new UUID, echoed on the response; [`RequestId`] in handlers | |
//! | 2 | access log | one `tracing` event per request: method, path, status, latency | `access_log` (on in debug), `log` |
//! | 3 | catch panic | a panic in any middleware becomes a 500 | `debug` shows the message |
//! | 4 | security headers | `X-Content-Type-Options: nosniff`, `Referrer-Policy`, `Cross-Origin-Opener-Policy`, `X-Frame-Options`, HSTS on HTTPS | `secure_hsts_*`, `x_frame_options`, ... |
//! | 5 | HTTPS redirect | plain HTTP gets 301 to `https://` | `secure_ssl_redirect` (off) |
//! | 6 | allowed hosts | a `Host` not in `allowed_hosts` gets 400 (not checked in debug) | `allowed_hosts` |
//! | 7 | body limit | bodies over the limit get 413 | `body_limit` (2.5 MiB) |
//! | 8 | request timeout | 408 after the limit | `request_timeout_secs` (30; 0 = off) |
//! | 9 | GZip | compresses bodies of 200 bytes or more, `Vary: Accept-Encoding` | `gzip` |
//!
//! (Everything but the access log runs as one service with one future; the table gives
//! their order inside it.)
//!
//! Outside the stack, and on whether or not the stack is: when the `server_header` setting
//! is set (`TRELLIS_SERVER_HEADER`; unset by default, as Django), every response without a
//! `Server` header gets one with that value, the stack's own answers (400, 408, 413, 500)
//! included. The value is parsed once at start-up. (`Date` is always added by the server.)
//!
//! Then come the project's own middleware, in the order added (the first added is the
//! outermost), then the framework's request scope (dependency cache and teardowns) and
//! the handler's panic guard, then the URL dispatcher.
//!
//! ```
//! use trellis_http::middleware::{from_fn, Next};
//! use trellis_http::extract::Request;
//! use trellis_http::response::{IntoResponse, Response};
//! use http::StatusCode;
//!
//! async fn maintenance(req: Request, next: Next) -> Response {
//!     if req.uri().path().starts_with("/admin") {
//!         return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
//!     }
//!     let mut resp = next.run(req).await;
//!     resp.headers_mut().insert("x-served-by", "trellis".parse().unwrap());
//!     resp
//! }
//!
//! let app = trellis_http::App::new("site").middleware(from_fn(maintenance));
//! ```

mod compress;
mod defaults;
mod hosts;
mod panic;
mod security;
mod service;
mod stack;
mod timeout;

pub use axum::middleware::{Next, from_fn, from_fn_with_state, map_request, map_response};
pub use defaults::RequestId;
pub use hosts::host_allowed;
pub use panic::PanicMessage;
pub(crate) use panic::{PanicFuture, panic_response};
pub(crate) use stack::wrap;
