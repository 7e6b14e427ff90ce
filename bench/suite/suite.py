#!/usr/bin/env python3
"""Driver of the TechEmpower-style benchmark suite (called by bench/run and bench/check).

Standard library only, so that the correctness checks (bench/check) run without the
virtualenv. It starts every contender, checks every workload's responses before any
timing, then (unless --check-only) loads each one with wrk and writes the report and the
plots. See bench/README.md ("The suite") for what is measured and how to read it.
"""

import argparse
import hashlib
import html
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

ADDITIONAL = "Additional fortune added at request time."
# The 12 rows bench-te-axum setup writes, plus the one added at request time.
FORTUNES = [
    (1, "fortune: No such file or directory"),
    (2, "A computer scientist is someone who fixes things that aren't broken."),
    (3, "After enough decimal places, nobody gives a damn."),
    (4, "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1"),
    (5, "A computer program does what you tell it to do, not what you want it to do."),
    (6, "Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom Christaensen"),
    (7, "Any program that runs right is obsolete."),
    (8, "A list is only as strong as its weakest link. \u2014 Donald Knuth"),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
    (12, "\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de\u30fc\u30af"),
]


def expected_fortunes_html():
    rows = sorted(FORTUNES + [(0, ADDITIONAL)], key=lambda r: r[1])
    body = "".join(
        f"<tr><td>{i}</td><td>{html.escape(m, quote=True)}</td></tr>" for i, m in rows
    )
    return (
        "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
        "<tr><th>id</th><th>message</th></tr>" + body + "</table></body></html>"
    )


def expected_cpu():
    d = bytes(32)
    for _ in range(3000):
        d = hashlib.sha256(d).digest()
    return d.hex()


# ---------------------------------------------------------------- workloads
# name, path, needs a database, TechEmpower name
WORKLOADS = [
    ("plaintext", "/plaintext", False),
    ("json", "/json", False),
    ("db", "/db", True),
    ("queries-20", "/queries?queries=20", True),
    ("fortunes", "/fortunes", True),
    ("updates-1", "/updates?queries=1", True),
    ("updates-20", "/updates?queries=20", True),
]

# Targets of issue 5 for the default-stack Trellis entry: workload class ->
# (vs axum, vs fastapi, vs django). Stripped Trellis: 0.95x axum on plaintext/json.
TARGETS = {
    "plaintext": (0.85, 7, 25),
    "json": (0.85, 7, 25),
    "db@postgres": (1.0, 4.5, 14),
    "queries-20@postgres": (1.0, 4.5, 14),
    "db@sqlite": (1.5, 3, 10),
    "fortunes@postgres": (0.85, 4, 12),
    "fortunes@sqlite": (0.85, 4, 12),
    "updates-1@postgres": (0.9, 3, 10),
    "updates-20@postgres": (0.9, 3, 10),
    "updates-1@sqlite": (0.9, 3, 10),
    "updates-20@sqlite": (0.9, 3, 10),
}


def log(msg):
    print(f"==> {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes
def children_tree(pid):
    """pid and all its descendants (from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def cpu_ticks(pid):
    total = 0
    for p in children_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total


def status_kb(pid, key):
    total = 0
    for p in children_tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class Server:
    def __init__(self, contender, db, port, cmd, env, pin, logdir):
        self.contender, self.db, self.port = contender, db, port
        self.log_path = os.path.join(logdir, f"{contender}-{db}.log")
        full_env = dict(os.environ)
        full_env.update(env)
        self.cmd = pin + cmd
        self.env_desc = " ".join(f"{k}={v}" for k, v in env.items() if "SECRET" not in k)
        self.proc = subprocess.Popen(
            self.cmd,
            env=full_env,
            stdout=open(self.log_path, "wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/plaintext")
                c.getresponse().read()
                c.close()
                return True
            except OSError:
                time.sleep(0.2)
        return False

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def tail(self, n=15):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


# ---------------------------------------------------------------- databases
class Databases:
    """The PostgreSQL database (created for the run) and the SQLite file."""

    def __init__(self, axum_bin, pg_url, use_pg, tmp):
        self.axum_bin = axum_bin
        self.pg_admin = pg_url
        self.pg_name = f"trellis_bench_{os.getpid()}"
        self.pg_url = None
        self.pg_note = ""
        self.sqlite_path = os.path.join(tmp, "bench.sqlite3")
        self.sqlite_url = f"sqlite://{self.sqlite_path}"
        if use_pg:
            r = subprocess.run([axum_bin, "createdb", pg_url, self.pg_name],
                               capture_output=True, text=True)
            if r.returncode == 0:
                base = pg_url.split("?")[0].rsplit("/", 1)[0]
                self.pg_url = f"{base}/{self.pg_name}"
            else:
                self.pg_note = f"PostgreSQL at {pg_url} is not reachable ({r.stderr.strip()}): SQLite only"
                log(self.pg_note)
        else:
            self.pg_note = "PostgreSQL skipped (--no-postgres): SQLite only"

    def setup(self):
        for url in self.urls().values():
            setup_url = url + ("?mode=rwc" if url.startswith("sqlite") else "")
            subprocess.run([self.axum_bin, "setup", setup_url], check=True)

    def urls(self):
        out = {}
        if self.pg_url:
            out["postgres"] = self.pg_url
        out["sqlite"] = self.sqlite_url
        return out

    def world(self, db, ids):
        """randomnumber of each id, read directly from the database."""
        ids = sorted(set(ids))
        if db == "sqlite":
            with sqlite3.connect(self.sqlite_path, timeout=10) as c:
                q = ",".join("?" * len(ids))
                return dict(c.execute(f"SELECT id, randomnumber FROM world WHERE id IN ({q})", ids))
        sql = "SELECT id, randomnumber FROM world WHERE id IN (%s)" % ",".join(str(int(i)) for i in ids)
        r = subprocess.run(["psql", self.pg_url, "-Atc", sql], capture_output=True, text=True, check=True)
        return {int(a): int(b) for a, b in (line.split("|") for line in r.stdout.split())}

    def drop(self):
        if self.pg_url:
            subprocess.run([self.axum_bin, "dropdb", self.pg_admin, self.pg_name],
                           capture_output=True)


# ---------------------------------------------------------------- checks
def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    headers = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, headers, body


class TableParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cells, self.in_cell, self.buf = [], False, ""

    def handle_starttag(self, tag, attrs):
        if tag in ("td", "th"):
            self.in_cell, self.buf = True, ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.cells.append(self.buf)
            self.in_cell = False

    def handle_data(self, data):
        if self.in_cell:
            self.buf += data


def normalize_html(text):
    """TechEmpower's comparison: whitespace between tags ignored, entities decoded."""
    text = re.sub(r">\s+<", "><", text.strip())
    return html.unescape(text).lower().replace("&#x2f;", "/")


def check_headers(errors, what, headers, ctype):
    if "server" not in headers:
        errors.append(f"{what}: no Server header")
    if "date" not in headers:
        errors.append(f"{what}: no Date header")
    got = headers.get("content-type", "")
    if not got.lower().replace(" ", "").startswith(ctype):
        errors.append(f"{what}: Content-Type {got!r}, expected {ctype!r}")


def check_world(errors, what, item):
    if not isinstance(item, dict) or set(item) != {"id", "randomNumber"}:
        errors.append(f"{what}: {item!r} is not {{id, randomNumber}}")
        return False
    if not (isinstance(item["id"], int) and 1 <= item["id"] <= 10000):
        errors.append(f"{what}: id {item['id']!r} not in 1..10000")
        return False
    if not isinstance(item["randomNumber"], int):
        errors.append(f"{what}: randomNumber {item['randomNumber']!r} is not an integer")
        return False
    return True


def check_workload(server, dbs, workload, db):
    """Errors (empty = correct) for one workload of one running contender."""
    errors = []
    port = server.port
    try:
        if workload == "plaintext":
            s, h, b = get(port, "/plaintext")
            check_headers(errors, "/plaintext", h, "text/plain")
            if s != 200 or b != b"Hello, World!":
                errors.append(f"/plaintext: HTTP {s} {b[:80]!r}")
        elif workload == "json":
            s, h, b = get(port, "/json")
            check_headers(errors, "/json", h, "application/json")
            if s != 200 or json.loads(b) != {"message": "Hello, World!"}:
                errors.append(f"/json: HTTP {s} {b[:80]!r}")
        elif workload == "cpu":
            s, h, b = get(port, "/cpu")
            if s != 200 or b.decode().strip() != expected_cpu():
                errors.append(f"/cpu: HTTP {s} {b[:80]!r}, expected {expected_cpu()}")
        elif workload == "db":
            seen = []
            for _ in range(5):
                s, h, b = get(port, "/db")
                check_headers(errors, "/db", h, "application/json")
                item = json.loads(b)
                if s != 200 or not check_world(errors, "/db", item):
                    errors.append(f"/db: HTTP {s} {b[:80]!r}")
                    break
                seen.append(item)
            if seen:
                truth = dbs.world(db, [w["id"] for w in seen])
                for w in seen:
                    if truth.get(w["id"]) != w["randomNumber"]:
                        errors.append(f"/db: {w} but the database has {truth.get(w['id'])}")
            if len({w["id"] for w in seen}) < 2:
                errors.append("/db: 5 requests returned the same id (not random)")
        elif workload.startswith("queries"):
            for q, n in (("20", 20), ("1", 1), ("0", 1), ("foo", 1), ("", 1), ("501", 500)):
                path = f"/queries?queries={q}"
                s, h, b = get(port, path)
                check_headers(errors, path, h, "application/json")
                items = json.loads(b) if s == 200 else None
                if not isinstance(items, list) or len(items) != n:
                    errors.append(f"{path}: HTTP {s}, expected a list of {n}: {b[:80]!r}")
                    continue
                if not all(check_world(errors, path, i) for i in items):
                    continue
                if n == 20:
                    truth = dbs.world(db, [w["id"] for w in items])
                    bad = [w for w in items if truth.get(w["id"]) != w["randomNumber"]]
                    if bad:
                        errors.append(f"{path}: {len(bad)} rows differ from the database, e.g. {bad[0]}")
        elif workload.startswith("updates"):
            for q, n in (("20", 20), ("1", 1), ("foo", 1), ("0", 1)):
                path = f"/updates?queries={q}"
                s, h, b = get(port, path)
                check_headers(errors, path, h, "application/json")
                items = json.loads(b) if s == 200 else None
                if not isinstance(items, list) or len(items) != n:
                    errors.append(f"{path}: HTTP {s}, expected a list of {n}: {b[:120]!r}")
                    continue
                if not all(check_world(errors, path, i) for i in items):
                    continue
                truth = dbs.world(db, [w["id"] for w in items])
                bad = [w for w in items if truth.get(w["id"]) != w["randomNumber"]]
                if bad:
                    errors.append(f"{path}: {len(bad)} answered values are not in the database, e.g. {bad[0]} (database: {truth.get(bad[0]['id'])})")
            # The update is really written, and only to the answered rows: compare the
            # whole table before and after one request.
            before = dbs.world(db, range(1, 10001))
            s, h, b = get(port, "/updates?queries=20")
            items = json.loads(b)
            after = dbs.world(db, range(1, 10001))
            changed = {i for i in before if before[i] != after.get(i)}
            answered = {w["id"] for w in items}
            if not changed:
                errors.append("/updates?queries=20: no row of the table changed")
            elif not changed <= answered:
                errors.append(f"/updates?queries=20: rows {sorted(changed - answered)[:5]} changed but were not answered")
        elif workload == "fortunes":
            s, h, b = get(port, "/fortunes")
            check_headers(errors, "/fortunes", h, "text/html")
            if "charset=utf-8" not in h.get("content-type", "").lower().replace(" ", ""):
                errors.append(f"/fortunes: Content-Type {h.get('content-type')!r} lacks charset=utf-8")
            text = b.decode("utf-8", errors="replace")
            if "<script>" in text:
                errors.append("/fortunes: the <script> row is not escaped")
            p = TableParser()
            p.feed(text)
            want = ["id", "message"] + [x for r in sorted(FORTUNES + [(0, ADDITIONAL)], key=lambda r: r[1]) for x in (str(r[0]), r[1])]
            if p.cells != want:
                diff = next((i for i, (a, c) in enumerate(zip(p.cells, want)) if a != c), min(len(p.cells), len(want)))
                got_cell = p.cells[diff] if diff < len(p.cells) else None
                want_cell = want[diff] if diff < len(want) else None
                errors.append(f"/fortunes: table cell {diff} is {got_cell!r}, expected {want_cell!r}")
            if normalize_html(text) != normalize_html(expected_fortunes_html()):
                errors.append("/fortunes: the page differs from the expected HTML (beyond entity spelling)")
            if s != 200:
                errors.append(f"/fortunes: HTTP {s}")
        else:
            errors.append(f"unknown workload {workload}")
    except (OSError, ValueError, http.client.HTTPException, subprocess.CalledProcessError) as e:
        errors.append(f"{workload}: {type(e).__name__}: {e}")
    return errors


# ---------------------------------------------------------------- contenders
def contenders(args, ncpu):
    bin_dir = os.path.join(args.target_dir, "release")
    py = os.path.join(args.venv, "bin")
    have_py = os.path.exists(os.path.join(py, "uvicorn")) and not args.no_python
    secret = secrets.token_urlsafe(48)
    workers = str(ncpu)
    pool = str(args.pool)
    py_pool = str(max(1, args.pool // ncpu))
    trellis_env = lambda url: {
        "DATABASE_URL": url,
        "TRELLIS_DEBUG": "false",
        "TRELLIS_ALLOWED_HOSTS": "127.0.0.1",
        "TRELLIS_SECRET_KEY": secret,
        "TRELLIS_DATABASE_MAX_CONNECTIONS": pool,
        "TRELLIS_LOG": "warn",
    }
    out = [
        {
            "name": "trellis",
            "label": "Trellis (default stack)",
            "cmd": lambda port, url: [os.path.join(bin_dir, "bench-te-trellis"), "runserver", f"127.0.0.1:{port}"],
            "env": trellis_env,
        },
        {
            "name": "trellis-stripped",
            "label": "Trellis (TRELLIS_DEFAULT_MIDDLEWARE=false)",
            "cmd": lambda port, url: [os.path.join(bin_dir, "bench-te-trellis"), "runserver", f"127.0.0.1:{port}"],
            "env": lambda url: dict(trellis_env(url), TRELLIS_DEFAULT_MIDDLEWARE="false"),
        },
        {
            "name": "axum",
            "label": "axum + sqlx + minijinja",
            "cmd": lambda port, url: [os.path.join(bin_dir, "bench-te-axum"), "serve", f"127.0.0.1:{port}", url],
            "env": lambda url: {"BENCH_POOL_SIZE": pool},
        },
    ]
    if have_py:
        out += [
            {
                "name": "fastapi",
                "label": f"FastAPI (uvicorn, {workers} workers)",
                "cmd": lambda port, url: [os.path.join(py, "uvicorn"), "app:app", "--app-dir", "bench/apps/te-fastapi",
                                          "--loop", "uvloop", "--http", "httptools", "--workers", workers,
                                          "--no-access-log", "--log-level", "warning", "--host", "127.0.0.1", "--port", str(port)],
                "env": lambda url: {"BENCH_DB_URL": url, "BENCH_POOL_SIZE": py_pool},
            },
            {
                "name": "django",
                "label": f"Django (gunicorn, {workers} workers)",
                "cmd": lambda port, url: [os.path.join(py, "gunicorn"), "wsgi:application", "--chdir", "bench/apps/te-django",
                                          "--workers", workers, "--worker-class", "gthread", "--threads", "4",
                                          "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
                "env": lambda url: {"BENCH_DB_URL": url, "DJANGO_SETTINGS_MODULE": "settings"},
            },
        ]
    return out, have_py


# ---------------------------------------------------------------- wrk
def parse_wrk(text):
    def num(pattern, default=None):
        m = re.search(pattern, text, re.M)
        return m.group(1) if m else default

    def ms(v):
        if v is None:
            return None
        m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
        if not m:
            return None
        x = float(m.group(1))
        return {"us": x / 1000, "ms": x, "s": x * 1000, "m": x * 60000}[m.group(2)]

    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {
        "requests": int(num(r"^\s*(\d+) requests in", "0")),
        "seconds": ms(num(r"requests in ([\d.]+\w+),")) / 1000 if num(r"requests in ([\d.]+\w+),") else 0,
        "rps": float(num(r"^Requests/sec:\s+([\d.]+)", "0")),
        "p50": ms(num(r"^\s+50%\s+(\S+)")),
        "p90": ms(num(r"^\s+90%\s+(\S+)")),
        "p99": ms(num(r"^\s+99%\s+(\S+)")),
        "errors": int(num(r"Non-2xx or 3xx responses: (\d+)", "0")) + (sum(int(x) for x in socket.groups()) if socket else 0),
    }


def run_wrk(wrk_pin, url, conns, secs):
    cmd = wrk_pin + ["timeout", str(secs + 15), "wrk", "-t1", f"-c{conns}", f"-d{secs}s", "--latency", url]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"wrk failed ({r.returncode}): {r.stderr.strip()[:200]}")
    return parse_wrk(r.stdout)


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--check-only", action="store_true")
    ap.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")))
    ap.add_argument("--venv", default=os.path.join(ROOT, "target", "bench-suite-venv"))
    ap.add_argument("--no-python", action="store_true")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--pg-url", default=os.environ.get("TRELLIS_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--pool", type=int, default=16)
    ap.add_argument("--duration", type=int)
    ap.add_argument("--only", help="comma-separated contender names")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "latest.md"))
    ap.add_argument("--command", default="bench/run")
    args = ap.parse_args()
    os.chdir(ROOT)

    ncpu = os.cpu_count() or 1
    try:
        ncpu = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    pinned = ncpu >= 2
    server_pin = ["taskset", "-c", "0"] if pinned else []
    wrk_pin = ["taskset", "-c", "1"] if pinned else []

    load_before = open("/proc/loadavg").read().split()[:3]
    tmp = tempfile.mkdtemp(prefix="trellis-suite.")
    axum_bin = os.path.join(args.target_dir, "release", "bench-te-axum")
    for b in ("bench-te-axum", "bench-te-trellis"):
        if not os.access(os.path.join(args.target_dir, "release", b), os.X_OK):
            sys.exit(f"{b} is missing in {args.target_dir}/release (cargo build --release -p {b})")

    conts, have_py = contenders(args, ncpu)
    if args.only:
        keep = set(args.only.split(","))
        conts = [c for c in conts if c["name"] in keep]
    dbs = Databases(axum_bin, args.pg_url, not args.no_postgres, tmp)
    servers = []

    def cleanup(*_):
        for s in servers:
            s.stop()
        dbs.drop()
        shutil.rmtree(tmp, ignore_errors=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    failures = []
    results = {}  # (workload, db, contender, conns) -> list of runs
    rss = {}
    scaling = {}
    t_start = time.time()
    try:
        log("preparing the databases: " + ", ".join(dbs.urls()))
        dbs.setup()
        port = 19400
        # --- start every contender on every database, check every workload
        running = {}  # (contender, db) -> Server
        for db, url in dbs.urls().items():
            for c in conts:
                port += 1
                s = Server(c["name"], db, port, c["cmd"](port, url), c["env"](url), server_pin, tmp)
                servers.append(s)
                if not s.wait_ready():
                    failures.append(f"{c['name']} ({db}) did not start:\n{s.tail()}")
                    s.stop()
                    continue
                running[(c["name"], db)] = s
        for (name, db), s in running.items():
            first_db = db == next(iter(dbs.urls()))
            wl = [w for w, _, needs_db in WORKLOADS if needs_db or first_db]
            if first_db:
                wl.append("cpu")
            for w in wl:
                errs = check_workload(s, dbs, w, db)
                status = "ok" if not errs else "FAIL"
                log(f"check {name:17} {db:8} {w:11} {status}")
                for e in errs:
                    failures.append(f"{name} ({db}) {w}: {e}")
        if args.check_only:
            return finish_check(failures)
        if failures:
            log("correctness checks failed: not timing")
            return finish_check(failures)

        # --- timing
        reps = 1 if args.quick else 3
        dur = args.duration or (2 if args.quick else 4)
        warm = 1 if args.quick else 2
        sweep = [64] if args.quick else [16, 64, 256]
        sweep_workloads = {"plaintext", "json", "db", "fortunes"}
        plan = []
        for db in dbs.urls():
            for w, path, needs_db in WORKLOADS:
                if not needs_db and db != next(iter(dbs.urls())):
                    continue
                key_db = db if needs_db else "-"
                for conns in (sweep if w in sweep_workloads and (db == "postgres" or not dbs.pg_url or not needs_db) else [64]):
                    plan.append((w, path, db, key_db, conns))
        total_runs = len(plan) * len(conts) * reps
        log(f"timing: {total_runs} runs of {dur} s (+ warm-ups), {reps} repetition(s); est. {total_runs * dur // 60 + 1}+ min")
        for w, path, db, key_db, conns in plan:
            for c in conts:
                s = running.get((c["name"], db))
                if s:
                    run_wrk(wrk_pin, f"http://127.0.0.1:{s.port}{path}", conns, warm)
            for rep in range(reps):
                for c in conts:
                    s = running.get((c["name"], db))
                    if not s:
                        continue
                    t0 = cpu_ticks(s.proc.pid)
                    try:
                        r = run_wrk(wrk_pin, f"http://127.0.0.1:{s.port}{path}", conns, dur)
                    except RuntimeError as e:
                        failures.append(f"{c['name']} ({db}) {w}: {e}")
                        continue
                    cpu_s = (cpu_ticks(s.proc.pid) - t0) / os.sysconf("SC_CLK_TCK")
                    r["cpu_s"] = cpu_s
                    r["req_cpu"] = r["requests"] / cpu_s if cpu_s > 0 else 0
                    results.setdefault((w, key_db, c["name"], conns), []).append(r)
                    log(f"{w:11} {key_db:8} c{conns:<3} {c['name']:17} rep {rep + 1}: {r['rps']:9.0f} req/s {r['req_cpu']:9.0f} req/CPU-s p99 {r['p99']} ms errors {r['errors']}")
        for (name, db), s in running.items():
            rss[(name, db)] = status_kb(s.proc.pid, "VmHWM")
        for s in servers:
            s.stop()
        # --- scaling: CPU-bound endpoint, 1 vs 2 workers
        scale_conts = [c for c in conts if c["name"] in ("trellis", "fastapi")]
        if ncpu >= 2:
            url = next(iter(dbs.urls().values()))
            first = next(iter(dbs.urls()))
            for c in scale_conts:
                for n in (1, 2):
                    port += 1
                    env = dict(c["env"](url), TOKIO_WORKER_THREADS=str(n))
                    cmd = c["cmd"](port, url)
                    if c["name"] == "fastapi":
                        cmd[cmd.index("--workers") + 1] = str(n)
                    pin = ["taskset", "-c", "0" if n == 1 else "0,1"]
                    s = Server(c["name"], f"scale{n}", port, cmd, env, pin, tmp)
                    servers.append(s)
                    if not s.wait_ready():
                        failures.append(f"{c['name']} scaling ({n}) did not start:\n{s.tail()}")
                        continue
                    errs = check_workload(s, dbs, "cpu", first)
                    if errs:
                        failures.extend(errs)
                        s.stop()
                        continue
                    run_wrk([], f"http://127.0.0.1:{port}/cpu", 64, warm)
                    runs = []
                    for _ in range(reps):
                        t0 = cpu_ticks(s.proc.pid)
                        r = run_wrk([], f"http://127.0.0.1:{port}/cpu", 64, dur)
                        r["cpu_s"] = (cpu_ticks(s.proc.pid) - t0) / os.sysconf("SC_CLK_TCK")
                        r["req_cpu"] = r["requests"] / r["cpu_s"] if r["cpu_s"] else 0
                        runs.append(r)
                        log(f"cpu scaling {c['name']} {n} worker(s): {r['rps']:.0f} req/s, {r['req_cpu']:.0f} req/CPU-s")
                    scaling[(c["name"], n)] = runs
                    s.stop()
    finally:
        cleanup()

    elapsed = time.time() - t_start
    load_after = open("/proc/loadavg").read().split()[:3]
    import report  # noqa: E402  (bench/suite/report.py)

    report.write(
        args=args, conts=conts, have_py=have_py, dbs_note=dbs.pg_note, db_names=list(dbs.urls()),
        results=results, rss=rss, scaling=scaling, failures=failures, pinned=pinned, ncpu=ncpu,
        load_before=load_before, load_after=load_after, elapsed=elapsed, targets=TARGETS,
        workloads=WORKLOADS,
    )
    return 1 if failures else 0


def finish_check(failures):
    if failures:
        print("\nCORRECTNESS CHECKS FAILED:", file=sys.stderr)
        for f in failures:
            print(f"  - {f}", file=sys.stderr)
        return 1
    print("all correctness checks passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
