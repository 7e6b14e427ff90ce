#!/usr/bin/env python3
"""Driver of the TechEmpower-style benchmark suite (called by bench/run and bench/check).

Standard library only, so that the correctness checks (bench/check) run without the
virtualenv. It starts every contender, checks every workload's responses before any
timing, then (unless --check-only) loads each one with wrk and writes the report and the
plots. See bench/README.md ("The suite") for what is measured and how to read it.
"""

import argparse
import email.utils
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
# name, path, databases: "none" (no database: timed once), "each" (every database),
# "first" (the first database only: the cache is read from it once, so a second database
# would time the same thing again)
WORKLOADS = [
    ("plaintext", "/plaintext", "none"),
    ("json", "/json", "none"),
    ("validated", "/items/7?limit=10", "none"),
    ("db", "/db", "each"),
    ("queries-20", "/queries?queries=20", "each"),
    ("cached-queries-20", "/cached-queries?count=20", "first"),
    ("fortunes", "/fortunes", "each"),
    ("updates-1", "/updates?queries=1", "each"),
    ("updates-20", "/updates?queries=20", "each"),
]

# The validated endpoint (the body and answer of bench/validation/run).
VALID_BODY = os.path.join("bench", "validation", "valid.json")
INVALID_BODY = os.path.join("bench", "validation", "invalid.json")
EXPECTED_ECHO = os.path.join("bench", "validation", "expected.json")
POST_LUA = os.path.join("bench", "validation", "post.lua")
POST_BODIES = {"validated": VALID_BODY}


def workload_dbs(kind, db_names):
    """The databases a workload is timed/checked on ("-" for none)."""
    return {"none": ["-"], "each": list(db_names), "first": list(db_names[:1])}[kind]


# Targets of issue 5 for the default-stack Trellis entry: workload class ->
# (vs axum, vs fastapi, vs django). Stripped Trellis: 0.95x axum on plaintext/json.
TARGETS = {
    "plaintext": (0.85, 7, 25),
    "json": (0.85, 7, 25),
    "validated": (0.85, 10, 35),
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
        # The suite's own variable is not a Trellis setting (the settings loader refuses
        # unknown TRELLIS_* names).
        full_env.pop("TRELLIS_BENCH_POSTGRES", None)
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

    def psql(self, sql, admin=False):
        """One query; `admin` runs it in the server's admin database (so that it adds no
        transaction to the run's database)."""
        r = subprocess.run(["psql", self.pg_admin if admin else self.pg_url, "-Atc", sql],
                           capture_output=True, text=True, check=True)
        return r.stdout.strip()

    def world_stats(self):
        """PostgreSQL's own counters for `world`: (index scans, rows fetched by index scans,
        rows updated). Only what the server's backends have flushed: a backend flushes at
        the latest when it exits."""
        out = self.psql("SELECT coalesce(idx_scan, 0), coalesce(idx_tup_fetch, 0), coalesce(n_tup_upd, 0), "
                        "(SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()) "
                        "FROM pg_stat_user_tables WHERE relname = 'world'")
        return tuple(int(x) for x in out.split("|"))

    def client_backends(self):
        """Client connections to the run's database."""
        return int(self.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                             f"'{self.pg_name}' AND backend_type = 'client backend'", admin=True))

    def drop(self):
        if self.pg_url:
            subprocess.run([self.axum_bin, "dropdb", self.pg_admin, self.pg_name],
                           capture_output=True)


# ---------------------------------------------------------------- checks
def get(port, path, body=None):
    """GET, or POST of a JSON body when one is given: (status, headers, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    if body is None:
        c.request("GET", path)
    else:
        c.request("POST", path, body=body, headers={"Content-Type": "application/json"})
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
    """TechEmpower's header rules: a non-empty `Server`, an HTTP `Date` (IMF-fixdate, GMT,
    within a minute of now), the expected content type."""
    if not headers.get("server", "").strip():
        errors.append(f"{what}: no Server header")
    date = headers.get("date")
    if date is None:
        errors.append(f"{what}: no Date header")
    else:
        try:
            when = email.utils.parsedate_to_datetime(date)
            if not date.endswith(" GMT") or abs(time.time() - when.timestamp()) > 60:
                raise ValueError
        except (TypeError, ValueError):
            errors.append(f"{what}: Date {date!r} is not the current time as an HTTP date")
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
        elif workload.startswith("cached-queries"):
            # The cache may have been read at start-up (compared with the table as it was
            # when the servers were ready) or on first use (compared with the table now).
            seen = set()
            for q, n in (("20", 20), ("1", 1), ("0", 1), ("foo", 1), ("", 1), ("501", 500), ("20", 20)):
                path = f"/cached-queries?count={q}"
                s, h, b = get(port, path)
                check_headers(errors, path, h, "application/json")
                items = json.loads(b) if s == 200 else None
                if not isinstance(items, list) or len(items) != n:
                    errors.append(f"{path}: HTTP {s}, expected a list of {n}: {b[:80]!r}")
                    continue
                if not all(check_world(errors, path, i) for i in items):
                    continue
                seen.update(w["id"] for w in items)
                if n >= 20:
                    start = (getattr(dbs, "world_at_start", None) or {}).get(db, {})
                    now = dbs.world(db, [w["id"] for w in items])
                    bad = [w for w in items if w["randomNumber"] not in (start.get(w["id"]), now.get(w["id"]))]
                    if bad:
                        errors.append(f"{path}: {len(bad)} rows are neither the table's at start-up nor now, e.g. {bad[0]}")
            if len(seen) < 40:
                errors.append(f"/cached-queries: only {len(seen)} different ids in 563 rows (not random)")
        elif workload == "validated":
            with open(os.path.join(ROOT, VALID_BODY), "rb") as f:
                valid = f.read()
            with open(os.path.join(ROOT, INVALID_BODY), "rb") as f:
                invalid = f.read()
            with open(os.path.join(ROOT, EXPECTED_ECHO)) as f:
                expected = json.load(f)
            path = "/items/7?limit=10"
            s, h, b = get(port, path, valid)
            check_headers(errors, f"POST {path}", h, "application/json")
            try:
                got = json.loads(b)
            except ValueError:
                got = None
            if s != 200 or got != expected:
                errors.append(f"POST {path}: HTTP {s} {b[:160]!r}, expected {json.dumps(expected)[:80]}...")
            path = "/items/7?limit=500"
            s, h, b = get(port, path, invalid)
            check_headers(errors, f"POST {path} (invalid)", h, "application/json")
            try:
                detail = json.loads(b).get("detail")
            except (ValueError, AttributeError):
                detail = None
            if s != 422 or not isinstance(detail, list) or not detail:
                errors.append(f"POST {path} (invalid): HTTP {s} {b[:120]!r}, expected 422 with a non-empty detail list")
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


# ---------------------------------------------------------------- query counts
# PostgreSQL's own statistics prove how many queries a workload made. TechEmpower's
# verifier reads pg_stat_statements, which needs `shared_preload_libraries` and a server
# restart; the cumulative counters are always there:
# - `pg_stat_user_tables` for `world`: `idx_scan` (index scans: one per primary-key
#   lookup), `idx_tup_fetch` (rows they fetched), `n_tup_upd` (rows updated). A cache
#   filled with `ORDER BY id` is one index scan of 10,000 rows: such full reads (rows
#   fetched // 10,000; a window's lookups fetch at most 41 rows) are not lookups.
# - `pg_stat_database.xact_commit`: transactions. PostgreSQL 15 counts an `id = ANY(...)`
#   of 20 ids as 20 index scans, but it is one statement, one transaction: 20 separate
#   queries commit (at least) 20 times.
# A backend publishes its counters at the latest when it exits, so each window runs
# against a freshly started server which is stopped before the counters are read, and
# nothing else uses the run's database meanwhile (the driver's own polling runs in the
# admin database; reading the counters before a window commits once in the run's
# database). The "start-up" window (no request) measures what starting the server costs
# (cache, prepared statements): it is subtracted from the others' commits, which are then
# a lower bound (pools opening connections on demand add a few).
COUNT_WINDOWS = {
    # window: requests
    "start-up": [],
    "db": ["/db"] * 10,
    "queries": ["/queries?queries=20"],
    "updates": ["/updates?queries=20"],
}


def judge_counts(window, delta, startup, updated=0, cached=False):
    """Errors for one window. `delta` and `startup` are the counter deltas (index scans,
    rows they fetched, rows updated, commits) of this window and of the start-up window;
    `updated` is the number of distinct ids /updates answered."""
    d_idx, d_fetch, d_upd, d_commit = delta
    lookups = d_idx - d_fetch // 10000  # full reads of the table (caches) are not lookups
    commits = d_commit - startup[3]
    errors = []

    def need(what, n_lookups, n_commits, n_upd):
        if lookups != n_lookups:
            errors.append(f"{what}: {lookups} index lookups of world, expected {n_lookups} (one query per row)")
        if commits < n_commits:
            errors.append(f"{what}: {commits} transactions committed beyond start-up, expected at least {n_commits} "
                          "(one statement per row: an `id = ANY(...)` is one)")
        if d_upd != n_upd:
            errors.append(f"{what}: {d_upd} rows updated, expected {n_upd}")

    if window == "db":
        need("10 x /db" + (" and 5 x /cached-queries?count=20 (no query)" if cached else ""), 10, 10, 0)
    elif window == "queries":
        need("/queries?queries=20", 20, 20, 0)
    elif window == "updates":
        # 20 reads by id, then the update, whose own plan may scan the index once per row
        # (nested loop or IN list), once (bitmap scan) or not at all (hash join).
        what = "/updates?queries=20"
        if not 20 <= lookups <= 41:
            errors.append(f"{what}: {lookups} index lookups of world, expected 20 reads (+ at most 21 for the update's plan)")
        if commits < 21:
            errors.append(f"{what}: {commits} transactions committed beyond start-up, expected at least 21 (20 reads, the update)")
        if d_upd != updated:
            errors.append(f"{what}: {d_upd} rows updated, expected {updated} (the distinct ids answered)")
    elif window == "start-up" and d_upd:
        errors.append(f"start-up: {d_upd} rows updated")
    return errors


def count_queries(c, dbs, next_port, pin, tmp, servers):
    """Errors of the query-count windows of one contender on PostgreSQL, and what each
    window measured."""
    errors, seen = [], []
    url = dbs.pg_url
    serves = c.get("workloads")
    cached = serves is None or "cached-queries-20" in serves
    startup = (0, 0, 0, 0)
    for window, paths in COUNT_WINDOWS.items():
        port = next_port()
        srv = Server(c["name"], "pgstats", port, c["cmd"](port, url), c["env"](url), pin, tmp)
        servers.append(srv)
        if not srv.wait_ready():
            errors.append(f"did not start for the {window} window:\n{srv.tail()}")
            srv.stop()
            return errors, seen
        before = dbs.world_stats()
        updated = 0
        try:
            for path in paths + (["/cached-queries?count=20"] * 5 if window == "db" and cached else []):
                st, _, b = get(port, path)
                if st != 200:
                    raise ValueError(f"{path}: HTTP {st} {b[:80]!r}")
                if path.startswith("/updates"):
                    updated = len({w["id"] for w in json.loads(b)})
        except (OSError, ValueError, http.client.HTTPException) as e:
            errors.append(f"{window} window: {e}")
        srv.stop()
        deadline = time.time() + 15
        while dbs.client_backends() and time.time() < deadline:
            time.sleep(0.1)
        delta = tuple(a - b for a, b in zip(dbs.world_stats(), before))
        if window == "start-up":
            startup = delta
        errors += judge_counts(window, delta, startup, updated, cached)
        seen.append(f"{window}: {delta[0]} index scans ({delta[1]} rows), {delta[2]} updated, "
                    f"{delta[3] - (0 if window == 'start-up' else startup[3])} commits")
    return errors, seen


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
        {
            # The ceiling of the PostgreSQL workloads (TechEmpower's axum [postgresql]).
            "name": "axum-pg",
            "label": "axum + tokio-postgres, one connection per core",
            "cmd": lambda port, url: [os.path.join(bin_dir, "bench-te-axum-pg"), f"127.0.0.1:{port}", url],
            "env": lambda url: {},
            "dbs": ("postgres",),
            "workloads": {"db", "queries-20", "cached-queries-20", "fortunes", "updates-1", "updates-20"},
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


def wrk_cmd(wrk_pin, url, conns, secs, body=None):
    """wrk for `secs`; with `body` (a file), every request POSTs it as JSON (post.lua)."""
    post = ["-s", POST_LUA] if body else []
    cmd = wrk_pin + ["timeout", str(secs + 15), "wrk", "-t1", f"-c{conns}", f"-d{secs}s", "--latency", *post, url]
    return cmd + (["--", body] if body else [])


def warm_up(wrk_pin, urls, conns, secs, body=None):
    """Warm-ups of several servers at once (nothing is measured: they may share the CPU)."""
    procs = [subprocess.Popen(wrk_cmd(wrk_pin, u, conns, secs, body), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for u in urls]
    for pr in procs:
        pr.wait()


def run_wrk(wrk_pin, url, conns, secs, body=None):
    cmd = wrk_cmd(wrk_pin, url, conns, secs, body)
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
    for b in ("bench-te-axum", "bench-te-trellis", "bench-te-axum-pg"):
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
    query_counts = {}  # contender -> what each window measured
    t_start = time.time()
    try:
        log("preparing the databases: " + ", ".join(dbs.urls()))
        dbs.setup()
        ports = iter(range(19401, 19999))
        next_port = lambda: next(ports)
        db_names = list(dbs.urls())
        serves = lambda c, w: c.get("workloads") is None or w in c["workloads"]
        runs_on = lambda c, db: db in c.get("dbs", db_names)
        # --- query counts from PostgreSQL's statistics (fresh servers, one at a time,
        # before anything else runs against the database)
        if dbs.pg_url:
            for c in conts:
                if runs_on(c, "postgres") and serves(c, "db"):
                    errs, seen = count_queries(c, dbs, next_port, server_pin, tmp, servers)
                    query_counts[c["name"]] = seen
                    log(f"check {c['name']:17} postgres query-counts {'ok' if not errs else 'FAIL'} ({'; '.join(seen)})")
                    failures += [f"{c['name']} (postgres) query counts: {e}" for e in errs]
        # --- start every contender on every database, check every workload
        running = {}  # (contender, db) -> Server
        for db, url in dbs.urls().items():
            for c in conts:
                if not runs_on(c, db):
                    continue
                port = next_port()
                s = Server(c["name"], db, port, c["cmd"](port, url), c["env"](url), server_pin, tmp)
                servers.append(s)
                if not s.wait_ready():
                    failures.append(f"{c['name']} ({db}) did not start:\n{s.tail()}")
                    s.stop()
                    continue
                running[(c["name"], db)] = s
        # The table as the caches read it at start-up (for the cached-queries check).
        dbs.world_at_start = {db: dbs.world(db, range(1, 10001)) for db in db_names}
        conts_by_name = {c["name"]: c for c in conts}
        for (name, db), s in running.items():
            c = conts_by_name[name]
            wl = [w for w, _, kind in WORKLOADS if db in workload_dbs(kind, db_names)] + (["cpu"] if db == db_names[0] else [])
            for w in wl:
                if not serves(c, w):
                    continue
                errs = check_workload(s, dbs, w, db)
                status = "ok" if not errs else "FAIL"
                log(f"check {name:17} {db:8} {w:17} {status}")
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
        for db in db_names:
            for w, path, kind in WORKLOADS:
                for key_db in workload_dbs(kind, db_names):
                    if key_db not in ("-", db) or (key_db == "-" and db != db_names[0]):
                        continue
                    swept = w in sweep_workloads and (db == "postgres" or not dbs.pg_url or key_db == "-")
                    for conns in (sweep if swept else [64]):
                        plan.append((w, path, db, key_db, conns))
        targets = lambda w, db: [c for c in conts if (c["name"], db) in running and serves(c, w)]
        total_runs = sum(len(targets(w, db)) for w, _, db, _, _ in plan) * reps
        log(f"timing: {total_runs} runs of {dur} s (+ warm-ups), {reps} repetition(s); est. {(total_runs * dur + len(plan) * warm) // 60 + 1:.0f}+ min")
        for w, path, db, key_db, conns in plan:
            body = POST_BODIES.get(w)
            warm_up(wrk_pin, [f"http://127.0.0.1:{running[(c['name'], db)].port}{path}" for c in targets(w, db)],
                    conns, warm, body)
            for rep in range(reps):
                for c in targets(w, db):
                    s = running[(c["name"], db)]
                    t0 = cpu_ticks(s.proc.pid)
                    try:
                        r = run_wrk(wrk_pin, f"http://127.0.0.1:{s.port}{path}", conns, dur, body)
                    except RuntimeError as e:
                        failures.append(f"{c['name']} ({db}) {w}: {e}")
                        continue
                    cpu_s = (cpu_ticks(s.proc.pid) - t0) / os.sysconf("SC_CLK_TCK")
                    r["cpu_s"] = cpu_s
                    r["req_cpu"] = r["requests"] / cpu_s if cpu_s > 0 else 0
                    results.setdefault((w, key_db, c["name"], conns), []).append(r)
                    log(f"{w:17} {key_db:8} c{conns:<3} {c['name']:17} rep {rep + 1}: {r['rps']:9.0f} req/s {r['req_cpu']:9.0f} req/CPU-s p99 {r['p99']} ms errors {r['errors']}")
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
                    port = next_port()
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
        workloads=WORKLOADS, query_counts=query_counts,
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
