//! [`PeerAddr`]: the client's socket address (Django's `REMOTE_ADDR`).

use std::net::SocketAddr;

use axum::extract::FromRequestParts;
use http::request::Parts;

use crate::response::HttpError;

/// Handler argument: the address of the peer that sent the request (the proxy's, behind
/// one). Absent for in-process requests (the test client): ask for `Option<PeerAddr>`.
///
/// ```
/// use trellis_http::extract::PeerAddr;
/// async fn whoami(peer: Option<PeerAddr>) -> String {
///     peer.map(|p| p.0.ip().to_string()).unwrap_or_else(|| "in-process".into())
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

fn peer(_parts: &Parts) -> Option<PeerAddr> {
    crate::app::REQUEST
        .try_with(|r| r.peer)
        .ok()
        .flatten()
        .map(PeerAddr)
}

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, HttpError> {
        peer(parts).ok_or_else(|| {
            HttpError::internal("no peer address: the request did not come over a socket")
        })
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(peer(parts))
    }
}

impl super::Describe for PeerAddr {}
