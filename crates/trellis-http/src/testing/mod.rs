//! An in-process test client for users' own tests: no socket, cookies kept between
//! requests, JSON helpers, redirects followed on request, dependency overrides (set on the
//! [`App`] before building), and handler panics re-raised in the test.
//!
//! ```
//! use trellis_http::App;
//! use trellis_http::routing::get;
//! use trellis_http::testing::TestClient;
//!
//! async fn hello() -> &'static str { "hello" }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let client = TestClient::new(App::new("t").route("/", get(hello)));
//! let resp = client.get("/").await;
//! assert_eq!(resp.status(), 200);
//! assert_eq!(resp.text(), "hello");
//! # });
//! ```

use std::collections::BTreeMap;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower::ServiceExt;

use crate::app::{App, AppState};
use crate::middleware::PanicMessage;
use crate::settings::Settings;

/// The host name test requests carry; always allowed.
pub const TEST_HOST: &str = "testserver";

/// Sends requests to an app in-process.
#[derive(Clone)]
pub struct TestClient {
    router: crate::app::HttpService,
    state: AppState,
    cookies: Arc<Mutex<BTreeMap<String, String>>>,
    follow_redirects: bool,
    allow_panics: bool,
}

impl std::fmt::Debug for TestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestClient")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl TestClient {
    /// Build the app with its code defaults only (no `trellis.toml`, no environment), so
    /// tests do not depend on the machine; a test secret key is supplied when the code sets
    /// none. Panics with the start-up error, if any.
    pub fn new(mut app: App) -> Self {
        // Tests need no real secret: give one when the project has none in code.
        let loader = std::mem::take(&mut app.loader)
            .no_file()
            .env_vars::<String, String>([])
            .defaults(|s| {
                if s.secret_key.is_none() {
                    s.secret_key = Some(
                        "trellis-test-only-secret-key-not-for-production-use-0123456789".into(),
                    );
                }
            });
        let settings = match loader.load() {
            Ok(s) => s,
            Err(e) => panic!("test settings: {e}"),
        };
        Self::with_settings(app, settings)
    }

    /// Build the app with these settings. Panics with the start-up error, if any.
    pub fn with_settings(app: App, mut settings: Settings) -> Self {
        if !settings.allowed_hosts.iter().any(|h| h == TEST_HOST) {
            settings.allowed_hosts.push(TEST_HOST.into());
        }
        let built = match app.build_with(settings) {
            Ok(b) => b,
            Err(e) => panic!("app failed to start: {e}"),
        };
        TestClient {
            router: built.service,
            state: built.state,
            cookies: Arc::default(),
            follow_redirects: false,
            allow_panics: false,
        }
    }

    /// Follow redirects (up to 10) for every request of this client.
    #[must_use]
    pub fn follow_redirects(mut self, follow: bool) -> Self {
        self.follow_redirects = follow;
        self
    }

    /// Return 500 responses for handler panics instead of re-raising them in the test.
    #[must_use]
    pub fn allow_panics(mut self, allow: bool) -> Self {
        self.allow_panics = allow;
        self
    }

    /// The built app's state (settings, URLs, singletons).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Build the path of a named route.
    pub fn reverse<K: AsRef<str>, V: std::fmt::Display>(
        &self,
        name: &str,
        params: impl IntoIterator<Item = (K, V)>,
    ) -> String {
        match self.state.urls().reverse(name, params) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        }
    }

    /// The cookies the client holds.
    pub fn cookies(&self) -> BTreeMap<String, String> {
        self.cookies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// A request with any method.
    pub fn request(&self, method: Method, uri: &str) -> TestRequest<'_> {
        TestRequest {
            client: self,
            method,
            uri: uri.to_string(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            follow: None,
        }
    }

    /// A GET request.
    pub fn get(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::GET, uri)
    }

    /// A POST request.
    pub fn post(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::POST, uri)
    }

    /// A PUT request.
    pub fn put(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::PUT, uri)
    }

    /// A PATCH request.
    pub fn patch(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::PATCH, uri)
    }

    /// A DELETE request.
    pub fn delete(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::DELETE, uri)
    }

    fn store_cookies(&self, headers: &HeaderMap) {
        let mut jar = self
            .cookies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for v in headers.get_all(header::SET_COOKIE) {
            let Ok(s) = v.to_str() else { continue };
            let Ok(c) = axum_extra::extract::cookie::Cookie::parse(s.to_string()) else {
                continue;
            };
            let expired = c.max_age().is_some_and(|a| a.is_zero() || a.is_negative());
            if expired {
                jar.remove(c.name());
            } else {
                jar.insert(c.name().to_string(), c.value().to_string());
            }
        }
    }

    async fn send(&self, mut req: TestRequest<'_>) -> TestResponse {
        let follow = req.follow.unwrap_or(self.follow_redirects);
        let mut hops = 0;
        loop {
            let mut builder = Request::builder().method(req.method.clone()).uri(&req.uri);
            let headers = builder.headers_mut().expect("valid request builder");
            headers.extend(req.headers.clone());
            if !headers.contains_key(header::HOST) {
                headers.insert(header::HOST, HeaderValue::from_static(TEST_HOST));
            }
            let cookie_header: String = self
                .cookies()
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            if !cookie_header.is_empty()
                && !headers.contains_key(header::COOKIE)
                && let Ok(v) = HeaderValue::from_str(&cookie_header)
            {
                headers.insert(header::COOKIE, v);
            }
            let request = match builder.body(Body::from(req.body.clone())) {
                Ok(r) => r,
                Err(e) => panic!("bad test request {} {}: {e}", req.method, req.uri),
            };
            let resp = match self.router.clone().oneshot(request).await {
                Ok(r) => r,
                Err(e) => match e {},
            };
            if let Some(PanicMessage(msg)) = resp.extensions().get::<PanicMessage>()
                && !self.allow_panics
            {
                panic!("handler panicked during {} {}: {msg}", req.method, req.uri);
            }
            let (parts, body) = resp.into_parts();
            self.store_cookies(&parts.headers);
            let body = match body.collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => panic!("reading the response body failed: {e}"),
            };
            let location = parts
                .headers
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(str::to_string);
            if follow
                && parts.status.is_redirection()
                && hops < 10
                && let Some(loc) = location
            {
                hops += 1;
                if !matches!(
                    parts.status,
                    StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT
                ) {
                    req.method = Method::GET;
                    req.body = Bytes::new();
                    req.headers.remove(header::CONTENT_TYPE);
                }
                req.uri = loc;
                continue;
            }
            return TestResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            };
        }
    }
}

/// A request being built; `.await` it to send.
#[derive(Debug)]
#[must_use = "a test request does nothing until awaited"]
pub struct TestRequest<'a> {
    client: &'a TestClient,
    method: Method,
    uri: String,
    headers: HeaderMap,
    body: Bytes,
    follow: Option<bool>,
}

impl TestRequest<'_> {
    /// Add a header. Panics on an invalid name or value (a bug in the test).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name =
            HeaderName::try_from(name).unwrap_or_else(|_| panic!("bad header name {name:?}"));
        let value =
            HeaderValue::try_from(value).unwrap_or_else(|_| panic!("bad header value {value:?}"));
        self.headers.append(name, value);
        self
    }

    /// A JSON body (`Content-Type: application/json`).
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.body = Bytes::from(serde_json::to_vec(value).expect("serializable JSON body"));
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self
    }

    /// An urlencoded form body.
    pub fn form<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        let encoded = serde_urlencoded_like(value);
        self.body = Bytes::from(encoded);
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        self
    }

    /// A raw body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Follow redirects for this request.
    pub fn follow_redirects(mut self, follow: bool) -> Self {
        self.follow = Some(follow);
        self
    }
}

fn serde_urlencoded_like<T: Serialize + ?Sized>(value: &T) -> String {
    let json = serde_json::to_value(value).expect("serializable form body");
    let map = json.as_object().expect("a form body serializes to a map");
    let mut out = form_urlencoded_pairs(map);
    if out.ends_with('&') {
        out.pop();
    }
    out
}

fn form_urlencoded_pairs(map: &serde_json::Map<String, serde_json::Value>) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let mut out = String::new();
    for (k, v) in map {
        let values: Vec<String> = match v {
            serde_json::Value::Array(items) => items.iter().map(scalar).collect(),
            other => vec![scalar(other)],
        };
        for v in values {
            out.push_str(&utf8_percent_encode(k, NON_ALPHANUMERIC).to_string());
            out.push('=');
            out.push_str(&utf8_percent_encode(&v, NON_ALPHANUMERIC).to_string());
            out.push('&');
        }
    }
    out
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl<'a> IntoFuture for TestRequest<'a> {
    type Output = TestResponse;
    type IntoFuture = Pin<Box<dyn Future<Output = TestResponse> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        let client = self.client;
        Box::pin(client.send(self))
    }
}

/// A response, body read.
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; panics with the body when it is not.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        match serde_json::from_slice(&self.body) {
            Ok(v) => v,
            Err(e) => panic!(
                "response body is not the expected JSON ({e}): {}",
                self.text()
            ),
        }
    }
}
