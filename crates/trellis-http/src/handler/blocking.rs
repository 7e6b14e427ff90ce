//! Blocking handlers: plain `fn`s run on a bounded blocking pool, never on the event loop.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::handler::Handler;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::response::HttpError;

/// A plain (synchronous) function used as a handler; see [`blocking`].
pub struct Blocking<F, Args> {
    f: F,
    _args: PhantomData<fn() -> Args>,
}

impl<F: Clone, Args> Clone for Blocking<F, Args> {
    fn clone(&self) -> Self {
        Blocking {
            f: self.f.clone(),
            _args: PhantomData,
        }
    }
}

impl<F, Args> std::fmt::Debug for Blocking<F, Args> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Blocking")
    }
}

/// Functions of these argument types can be [`blocking`] handlers.
pub trait BlockingFn<Args> {}

/// Run a plain `fn` handler (CPU-bound work, blocking I/O) on the blocking pool, like a
/// FastAPI `def` endpoint. Its arguments are extracted on the event loop first; at most
/// `blocking_threads` such handlers run at once, the rest wait their turn without
/// holding an event-loop thread. A panic becomes a 500 as for async handlers.
///
/// ```
/// use trellis_http::routing::{Router, get};
/// use trellis_http::handler::blocking;
/// use trellis_http::extract::Path;
///
/// fn fib(Path(n): Path<u32>) -> String {
///     fn f(n: u32) -> u64 { if n < 2 { n as u64 } else { f(n - 1) + f(n - 2) } }
///     f(n.min(40)).to_string()
/// }
///
/// let router = Router::new().route("/fib/{n:int}", get(blocking(fib)));
/// ```
pub fn blocking<F, Args>(f: F) -> Blocking<F, Args>
where
    F: BlockingFn<Args>,
{
    Blocking {
        f,
        _args: PhantomData,
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = Response> + Send>>;

async fn run_blocking<R, G>(pool: Option<AppState>, g: G) -> Response
where
    G: FnOnce() -> R + Send + 'static,
    R: IntoResponse + 'static,
{
    let permit = match &pool {
        Some(app) => match app.blocking_pool().clone().acquire_owned().await {
            Ok(p) => Some(p),
            Err(_) => return HttpError::internal("blocking pool closed").into_response(),
        },
        None => None,
    };
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        g().into_response()
    });
    match task.await {
        Ok(resp) => resp,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => HttpError::internal(format!("blocking handler cancelled: {e}")).into_response(),
    }
}

impl<F, R> BlockingFn<()> for F where F: Fn() -> R {}

impl<F, R, S> Handler<((),), S> for Blocking<F, ()>
where
    F: Fn() -> R + Clone + Send + Sync + 'static,
    R: IntoResponse + 'static,
    S: Send + Sync + 'static,
{
    type Future = BoxFuture;

    fn call(self, _req: Request, _state: S) -> Self::Future {
        Box::pin(async move {
            let pool = crate::app::current_app();
            let f = self.f;
            run_blocking(pool, f).await
        })
    }
}

macro_rules! impl_blocking {
    ([$($ty:ident),*], $last:ident) => {
        impl<F, R, $($ty,)* $last> BlockingFn<($($ty,)* $last,)> for F where F: Fn($($ty,)* $last) -> R {}

        #[allow(non_snake_case)]
        impl<F, R, S, M, $($ty,)* $last> Handler<(M, $($ty,)* $last,), S> for Blocking<F, ($($ty,)* $last,)>
        where
            F: Fn($($ty,)* $last) -> R + Clone + Send + Sync + 'static,
            R: IntoResponse + 'static,
            S: Send + Sync + 'static,
            M: 'static,
            $($ty: FromRequestParts<S> + Send + 'static,)*
            $last: FromRequest<S, M> + Send + 'static,
        {
            type Future = BoxFuture;

            fn call(self, req: Request, state: S) -> Self::Future {
                Box::pin(async move {
                    let pool = crate::app::current_app();
                    #[allow(unused_mut)]
                    let (mut parts, body) = req.into_parts();
                    $(
                        let $ty = match $ty::from_request_parts(&mut parts, &state).await {
                            Ok(v) => v,
                            Err(r) => return r.into_response(),
                        };
                    )*
                    let req = Request::from_parts(parts, body);
                    let $last = match $last::from_request(req, &state).await {
                        Ok(v) => v,
                        Err(r) => return r.into_response(),
                    };
                    let f = self.f;
                    run_blocking(pool, move || f($($ty,)* $last)).await
                })
            }
        }
    };
}

impl_blocking!([], T1);
impl_blocking!([T1], T2);
impl_blocking!([T1, T2], T3);
impl_blocking!([T1, T2, T3], T4);
impl_blocking!([T1, T2, T3, T4], T5);
impl_blocking!([T1, T2, T3, T4, T5], T6);
impl_blocking!([T1, T2, T3, T4, T5, T6], T7);
impl_blocking!([T1, T2, T3, T4, T5, T6, T7], T8);
