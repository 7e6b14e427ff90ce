//! Acceptance tests of the real `demo` binary, as a user runs it: `runserver` on a free
//! port spoken to over HTTP/1.1 and HTTP/2 (h2c), settings from the environment,
//! graceful shutdown on SIGINT, and the management commands (`routes`, `check`,
//! `greet`, `--help`).
//!
//! Every child runs in a directory without `trellis.toml`, with an environment cleared
//! down to `PATH` and `HOME`, and is killed when its guard is dropped.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode, Version};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The binary under test.
const DEMO: &str = env!("CARGO_BIN_EXE_demo");
/// How long a server may take to answer its first request.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a command (or a server told to stop) may take to exit.
const EXIT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one HTTP exchange may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Poll interval of the wait loops.
const POLL: Duration = Duration::from_millis(25);

type HttpClient = Client<HttpConnector, Full<Bytes>>;

// ---------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------

/// A working directory with no `trellis.toml`, so settings come from code and env only.
fn workdir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("demo-binary-tests");
    std::fs::create_dir_all(&dir).expect("create the working directory");
    assert!(
        !dir.join("trellis.toml").exists(),
        "{} must not hold a trellis.toml",
        dir.display()
    );
    dir
}

/// A running `demo` process whose stdout and stderr are collected; killed on drop.
struct Proc {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    pumps: Vec<JoinHandle<()>>,
}

fn pump(mut from: impl Read + Send + 'static, into: Arc<Mutex<String>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let text = String::from_utf8_lossy(&buf[..n]);
                    into.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push_str(&text);
                }
            }
        }
    })
}

impl Proc {
    /// Start `demo ARGS...` with only `PATH`, `HOME` and `envs` in its environment.
    fn spawn(args: &[&str], envs: &[(&str, &str)]) -> Proc {
        let mut cmd = Command::new(DEMO);
        cmd.args(args).env_clear().current_dir(workdir());
        for key in ["PATH", "HOME"] {
            if let Some(v) = std::env::var_os(key) {
                cmd.env(key, v);
            }
        }
        if !envs.iter().any(|(k, _)| *k == "DATABASE_URL") {
            // One database per process, so parallel tests do not share rows.
            static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let file = workdir().join(format!("demo-{}-{n}.sqlite3", std::process::id()));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            cmd.env("DATABASE_URL", format!("sqlite://{}", file.display()));
        }
        cmd.envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {DEMO}: {e}"));
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let pumps = vec![
            pump(child.stdout.take().expect("piped stdout"), stdout.clone()),
            pump(child.stderr.take().expect("piped stderr"), stderr.clone()),
        ];
        Proc {
            child,
            stdout,
            stderr,
            pumps,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stdout(&self) -> String {
        self.stdout
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Both outputs, for failure messages.
    fn output(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout(),
            self.stderr()
        )
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait on the child")
    }

    /// Wait (blocking) for the process to exit, up to `timeout`; then the outputs are complete.
    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                self.join_pumps();
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(POLL);
        }
    }

    /// [`Proc::wait_exit`] for async tests.
    async fn wait_exit_async(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                self.join_pumps();
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn join_pumps(&mut self) {
        for p in self.pumps.drain(..) {
            let _ = p.join();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// What a finished command printed.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Run `demo ARGS...` to completion (bounded; killed and failed when it hangs).
fn run_demo(args: &[&str], envs: &[(&str, &str)]) -> Finished {
    let mut p = Proc::spawn(args, envs);
    let Some(status) = p.wait_exit(EXIT_TIMEOUT) else {
        panic!(
            "`demo {}` did not exit within {EXIT_TIMEOUT:?}\n{}",
            args.join(" "),
            p.output()
        );
    };
    Finished {
        status,
        stdout: p.stdout(),
        stderr: p.stderr(),
    }
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    l.local_addr().expect("local address").port()
}

/// Run `demo runserver 127.0.0.1:PORT` on a free port until it exits by itself (start-up
/// errors); the guard kills it if it starts serving instead.
fn runserver_expecting_exit(envs: &[(&str, &str)]) -> (Option<ExitStatus>, Proc) {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut p = Proc::spawn(&["runserver", &addr], envs);
    let status = p.wait_exit(Duration::from_secs(15));
    (status, p)
}

// ---------------------------------------------------------------------------------------
// Servers and HTTP
// ---------------------------------------------------------------------------------------

/// A `demo runserver` process on its own port.
struct Server {
    proc: Proc,
    port: u16,
}

fn http1_client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

fn get(port: u16, path: &str, host: Option<&str>) -> Request<Full<Bytes>> {
    let mut b = Request::get(format!("http://127.0.0.1:{port}{path}"));
    if let Some(h) = host {
        b = b.header(hyper::header::HOST, h);
    }
    b.body(Full::new(Bytes::new())).expect("valid request")
}

/// A response with its body read.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    version: Version,
    body: String,
}

async fn try_send(client: &HttpClient, req: Request<Full<Bytes>>) -> Result<Answer, String> {
    let fut = async {
        let resp = client
            .request(req)
            .await
            .map_err(|e| format!("request failed: {e:?}"))?;
        let (parts, body) = resp.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| format!("reading the body failed: {e}"))?
            .to_bytes();
        Ok(Answer {
            status: parts.status,
            version: parts.version,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    };
    match tokio::time::timeout(REQUEST_TIMEOUT, fut).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {REQUEST_TIMEOUT:?}")),
    }
}

async fn send(server: &Server, client: &HttpClient, req: Request<Full<Bytes>>) -> Answer {
    let what = format!("{} {}", req.method(), req.uri());
    match try_send(client, req).await {
        Ok(a) => a,
        Err(e) => panic!("{what}: {e}\n{}", server.proc.output()),
    }
}

impl Server {
    /// Start the server on a free port and wait until it answers HTTP (any status).
    async fn start(envs: &[(&str, &str)]) -> Server {
        // The port is free when picked but may be taken before the server binds it:
        // then the server exits saying so, and another port is tried.
        for _ in 0..3 {
            let port = free_port();
            let addr = format!("127.0.0.1:{port}");
            let mut proc = Proc::spawn(&["runserver", &addr], envs);
            let probe = http1_client();
            let deadline = Instant::now() + START_TIMEOUT;
            loop {
                if let Some(status) = proc.exited() {
                    proc.join_pumps();
                    if proc.stderr().contains("cannot listen") {
                        break;
                    }
                    panic!(
                        "the server exited before answering ({status})\n{}",
                        proc.output()
                    );
                }
                let req = get(port, "/api/hello", None);
                if let Ok(Ok(_)) =
                    tokio::time::timeout(Duration::from_secs(5), probe.request(req)).await
                {
                    return Server { proc, port };
                }
                assert!(
                    Instant::now() < deadline,
                    "the server did not answer within {START_TIMEOUT:?}\n{}",
                    proc.output()
                );
                tokio::time::sleep(POLL).await;
            }
        }
        panic!("could not find a free port for the server in 3 tries");
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// Wait until the server's output (stdout and stderr) satisfies `cond`.
    async fn wait_for_output(&self, what: &str, timeout: Duration, cond: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + timeout;
        while !cond(&self.proc.output()) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}\n{}",
                self.proc.output()
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

/// 50 random characters (from std's randomly keyed hasher), for `TRELLIS_SECRET_KEY`.
fn random_secret() -> String {
    use std::hash::{BuildHasher, Hasher};
    const CHARS: &[u8] =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#%^&*(-_=+)";
    let state = std::collections::hash_map::RandomState::new();
    (0..50u64)
        .map(|i| {
            let mut h = state.build_hasher();
            h.write_u64(i);
            let idx = usize::try_from(h.finish() % CHARS.len() as u64).expect("small index");
            char::from(CHARS[idx])
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// runserver
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_hosts_are_enforced_when_debug_is_off() {
    let secret = random_secret();
    let server = Server::start(&[
        ("TRELLIS_DEBUG", "false"),
        ("TRELLIS_SECRET_KEY", &secret),
        ("TRELLIS_ALLOWED_HOSTS", "example.com"),
    ])
    .await;
    let client = http1_client();

    let evil = send(
        &server,
        &client,
        get(server.port, "/api/hello", Some("evil.test")),
    )
    .await;
    assert_eq!(evil.status, StatusCode::BAD_REQUEST, "{evil:?}");

    let good = send(
        &server,
        &client,
        get(server.port, "/api/hello", Some("example.com")),
    )
    .await;
    assert_eq!(good.status, StatusCode::OK, "{good:?}");
    assert_eq!(good.body, r#"{"message":"Hello, World!"}"#);
}

#[test]
fn refuses_to_start_without_secret_key_when_debug_is_off() {
    // An empty TRELLIS_SECRET_KEY unsets the demo's development key.
    let (status, p) =
        runserver_expecting_exit(&[("TRELLIS_DEBUG", "false"), ("TRELLIS_SECRET_KEY", "")]);
    let status =
        status.unwrap_or_else(|| panic!("the server started without a secret key\n{}", p.output()));
    assert!(!status.success(), "exit status {status}\n{}", p.output());
    assert!(
        p.stderr().contains("secret_key"),
        "stderr does not name secret_key\n{}",
        p.output()
    );
}

#[test]
fn refuses_to_start_with_debug_off_and_only_the_development_key() {
    let (status, p) = runserver_expecting_exit(&[("TRELLIS_DEBUG", "false")]);
    let status = status.unwrap_or_else(|| {
        panic!(
            "the server started with debug off and no secret key set\n{}",
            p.output()
        )
    });
    assert!(!status.success(), "exit status {status}\n{}", p.output());
    assert!(
        p.stderr().contains("secret_key"),
        "stderr does not name secret_key\n{}",
        p.output()
    );
}

#[test]
fn unknown_setting_in_the_environment_is_a_startup_error() {
    let (status, p) = runserver_expecting_exit(&[("TRELLIS_FOO", "1")]);
    let status =
        status.unwrap_or_else(|| panic!("the server started despite TRELLIS_FOO\n{}", p.output()));
    assert!(!status.success(), "exit status {status}\n{}", p.output());
    assert!(
        p.stderr().contains("TRELLIS_FOO"),
        "stderr does not name TRELLIS_FOO\n{}",
        p.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_finishes_in_flight_requests_then_exits_zero() {
    // A drain timeout far above the wait below: the exit must come from the drained
    // request, not from the timeout. tower_http at debug logs each request's start.
    let mut server = Server::start(&[
        ("TRELLIS_LOG", "info,tower_http=debug"),
        ("TRELLIS_DRAIN_TIMEOUT_SECS", "300"),
    ])
    .await;
    let port = server.port;

    let client = http1_client();
    let slow =
        tokio::spawn(async move { try_send(&client, get(port, "/api/slow?ms=1500", None)).await });

    // Signal only once the server is working on the request.
    server
        .wait_for_output(
            "the slow request to reach the server",
            START_TIMEOUT,
            |out| {
                out.lines()
                    .any(|l| l.contains("/api/slow") && l.contains("started processing request"))
            },
        )
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let kill = Command::new("kill")
        .args(["-INT", &server.proc.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(kill.success(), "kill -INT failed: {kill}");

    // The listener closes: new connections are refused.
    let deadline = Instant::now() + EXIT_TIMEOUT;
    loop {
        match TcpStream::connect_timeout(&server.addr(), Duration::from_secs(5)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            Ok(_) | Err(_) => {
                assert!(
                    Instant::now() < deadline,
                    "new connections still accepted {EXIT_TIMEOUT:?} after SIGINT\n{}",
                    server.proc.output()
                );
                tokio::time::sleep(POLL).await;
            }
        }
    }

    // The in-flight request completes.
    let answer = match slow.await.expect("the slow request task") {
        Ok(a) => a,
        Err(e) => panic!(
            "the in-flight request failed after SIGINT: {e}\n{}",
            server.proc.output()
        ),
    };
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body, r#"{"slept_ms":1500}"#);

    // Then the process exits 0, by draining (not by the drain timeout).
    let Some(status) = server.proc.wait_exit_async(EXIT_TIMEOUT).await else {
        panic!(
            "the server did not exit within {EXIT_TIMEOUT:?} of SIGINT\n{}",
            server.proc.output()
        );
    };
    assert!(
        status.success(),
        "exit status {status}\n{}",
        server.proc.output()
    );
    assert!(
        server.proc.output().contains("all requests finished"),
        "{}",
        server.proc.output()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_prior_knowledge_is_served() {
    let server = Server::start(&[]).await;
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let answer = send(
        &server,
        &client,
        get(server.port, "/api/hello?name=h2", None),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.version, Version::HTTP_2, "{answer:?}");
    assert_eq!(answer.body, r#"{"message":"Hello, h2!"}"#);
}

// ---------------------------------------------------------------------------------------
// Management commands
// ---------------------------------------------------------------------------------------

#[test]
fn routes_lists_every_route_with_its_name() {
    let out = run_demo(&["routes"], &[]);
    assert!(
        out.status.success(),
        "exit status {}\n{}{}",
        out.status,
        out.stdout,
        out.stderr
    );
    let rows: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    let expected = [
        ("GET", "/", "home"),
        ("GET", "/plaintext", "plaintext"),
        ("GET", "/json", "json"),
        ("GET", "/blog/", "blog:index"),
        ("GET", "/blog/{id:int}/", "blog:post-detail"),
        ("GET", "/api/hello", "api:hello"),
        ("POST", "/api/echo", "api:echo"),
        ("GET", "/api/fib/{n:int}", "api:fib"),
        ("GET", "/api/whoami", "api:whoami"),
        ("GET", "/api/slow", "api:slow"),
        ("GET", "/api/panic", "api:panic"),
        ("GET", "/api/items", "api:items"),
        ("GET", "/api/items/{id:int}", "api:item"),
        ("GET", "/api/stream", "api:stream"),
    ];
    for (method, path, name) in expected {
        assert!(
            rows.iter().any(|r| r.len() == 3
                && r[1] == path
                && r[2] == name
                && r[0].split(',').any(|m| m == method)),
            "no row `{method} {path} {name}` in:\n{}",
            out.stdout
        );
    }
    for r in &rows {
        assert!(
            r.len() == 3 && r[2] != "-",
            "a route without a name: {r:?}\n{}",
            out.stdout
        );
    }
}

#[test]
fn check_deploy_warns_about_development_settings() {
    let out = run_demo(&["check", "--deploy"], &[]);
    assert!(
        out.status.success(),
        "warnings only, yet exit status {}\n{}{}",
        out.status,
        out.stdout,
        out.stderr
    );
    for id in [
        "security.W018",
        "security.W009",
        "security.W004",
        "security.W012",
        "security.W016",
        "security.W020",
    ] {
        assert!(
            out.stdout.contains(&format!("({id})")),
            "{id} missing from:\n{}",
            out.stdout
        );
    }
}

#[test]
fn check_without_deploy_finds_no_issues() {
    let out = run_demo(&["check"], &[]);
    assert!(
        out.status.success(),
        "exit status {}\n{}{}",
        out.status,
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout.contains("System check identified no issues"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("security."), "{}", out.stdout);
}

#[test]
fn greet_command_greets() {
    let out = run_demo(&["greet", "Ada"], &[]);
    assert!(
        out.status.success(),
        "exit status {}\n{}{}",
        out.status,
        out.stdout,
        out.stderr
    );
    assert!(out.stdout.contains("Hello, Ada!"), "{}", out.stdout);

    let out = run_demo(&["greet"], &[]);
    assert!(
        !out.status.success(),
        "greet without a name succeeded\n{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("give at least one name"),
        "{}",
        out.stderr
    );
}

#[test]
fn help_lists_the_commands() {
    let out = run_demo(&["--help"], &[]);
    assert!(
        out.status.success(),
        "exit status {}\n{}{}",
        out.status,
        out.stdout,
        out.stderr
    );
    for command in ["runserver", "routes", "check", "greet"] {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.split_whitespace().next() == Some(command)),
            "`{command}` missing from --help:\n{}",
            out.stdout
        );
    }
}
