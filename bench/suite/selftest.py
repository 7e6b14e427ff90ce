#!/usr/bin/env python3
"""Checks the checker (run by bench/check): a server with deliberately wrong answers must
fail every workload's correctness check, and a correct in-process SQLite-backed server must
pass them; the query-count judgement must accept the right counts and reject wrong ones.
Standard library only; about a second."""

import json
import os
import sqlite3
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, os.path.dirname(__file__))
import suite  # noqa: E402


class FakeDbs:
    def __init__(self, path):
        self.sqlite_path = path

    world = suite.Databases.world


def make_handler(path, wrong):
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def send(self, body, ctype, server=True):
            body = body.encode() if isinstance(body, str) else body
            self.send_response(200)
            if server and not wrong:
                self.send_header("Server", "selftest")
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802
            u = urlparse(self.path)
            q = parse_qs(u.query).get("queries", ["1"])[0]
            try:
                n = min(max(int(q), 1), 500)
            except ValueError:
                n = 1
            db = sqlite3.connect(path)
            ids = [(i * 7919) % 10000 + 1 for i in range(n)]
            rows = [{"id": i, "randomNumber": db.execute("SELECT randomnumber FROM world WHERE id=?", (i,)).fetchone()[0]} for i in ids]
            if u.path == "/cached-queries":
                q = parse_qs(u.query).get("count", ["1"])[0]
                try:
                    n = min(max(int(q), 1), 500)
                except ValueError:
                    n = 1
                ids = [(i * 7919 + self.server.calls * 13) % 10000 + 1 for i in range(n)]
                self.server.calls += 1
                rows = [{"id": i, "randomNumber": db.execute("SELECT randomnumber FROM world WHERE id=?", (i,)).fetchone()[0] + (1 if wrong else 0)} for i in ids]
                self.send(json.dumps(rows), "application/json")
            elif u.path == "/plaintext":
                self.send("Hello, World" if wrong else "Hello, World!", "text/plain")
            elif u.path == "/json":
                self.send(json.dumps({"message": "Hello, World!"}), "text/plain" if wrong else "application/json")
            elif u.path == "/cpu":
                self.send("0" * 64 if wrong else suite.expected_cpu(), "text/plain")
            elif u.path == "/db":
                self.send(json.dumps({"id": rows[0]["id"] + (wrong and 1 or 0) % 10000, "randomNumber": rows[0]["randomNumber"]} if wrong else {"id": (os.getpid() + id(self)) % 10000 + 1, "randomNumber": db.execute("SELECT randomnumber FROM world WHERE id=?", ((os.getpid() + id(self)) % 10000 + 1,)).fetchone()[0]}), "application/json")
            elif u.path == "/queries":
                self.send(json.dumps(rows[: max(1, n - 1)] if wrong else rows), "application/json")
            elif u.path == "/updates":
                if not wrong:
                    for r in rows:
                        r["randomNumber"] = (r["randomNumber"] % 10000) + 1
                        db.execute("UPDATE world SET randomnumber=? WHERE id=?", (r["randomNumber"], r["id"]))
                    db.commit()
                self.send(json.dumps([dict(r, randomNumber=r["randomNumber"] + 1) for r in rows] if wrong else rows), "application/json")
            elif u.path == "/fortunes":
                page = suite.expected_fortunes_html()
                if wrong:
                    page = page.replace("&lt;script&gt;", "<script>").replace("&lt;/script&gt;", "</script>")
                self.send(page, "text/html; charset=utf-8")
            db.close()

        def do_POST(self):  # noqa: N802
            u = urlparse(self.path)
            data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            limit = int(parse_qs(u.query)["limit"][0])
            if not wrong and (limit > 100 or data["quantity"] < 1):
                self.send_response(422)
                self.send_header("Server", "selftest")
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"detail": [{"loc": ["query", "limit"], "msg": "too big"}]}).encode())
                return
            echo = {"shop_id": int(u.path.rsplit("/", 1)[1]), "limit": limit, "item": data}
            if wrong:
                echo["item"]["price"] = str(echo["item"]["price"])
            self.send(json.dumps(echo), "application/json")

    return H


def main():
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "w.sqlite3")
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE world (id integer primary key, randomnumber integer)")
    db.executemany("INSERT INTO world VALUES (?, ?)", [(i, i * 31 % 10000 + 1) for i in range(1, 10001)])
    db.commit()
    db.close()
    failed = []
    for wrong in (True, False):
        srv = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(path, wrong))
        srv.calls = 0
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        fake = type("S", (), {"port": srv.server_address[1]})()
        for w in ["plaintext", "json", "validated", "cpu", "db", "queries-20", "cached-queries-20", "updates-20", "fortunes"]:
            errs = suite.check_workload(fake, FakeDbs(path), w, "sqlite")
            if wrong and not errs:
                failed.append(f"the wrong server passed the {w} check")
            if not wrong and errs:
                failed.append(f"the correct server failed the {w} check: {errs}")
        srv.shutdown()
    # The query-count judgement (PostgreSQL's counters cannot be faked with SQLite).
    up = (1, 10000, 0, 4)  # start-up: a cache read with ORDER BY id, 4 commits
    for args, ok in [
        (("db", (10, 10, 0, 14), up), True), (("db", (11, 10010, 0, 20), up), True), (("db", (12, 20010, 0, 16), up), True),
        (("db", (20, 20, 0, 24), up), False), (("db", (1, 1, 0, 14), up), False), (("db", (10, 10, 3, 14), up), False),
        (("db", (11, 11, 0, 15), up), False), (("db", (10, 10, 0, 13), up), False),
        (("queries", (20, 20, 0, 24), up), True), (("queries", (21, 10020, 0, 30), up), True),
        (("queries", (20, 20, 0, 6), up), False),  # one `id = ANY(...)`: 20 index scans, one commit
        (("queries", (1, 20, 0, 24), up), False), (("queries", (21, 21, 0, 25), up), False),
        (("updates", (40, 40, 20, 25), up, 20), True), (("updates", (41, 10040, 19, 26), up, 19), True),
        (("updates", (21, 40, 20, 25), up, 20), True),
        (("updates", (40, 40, 20, 7), up, 20), False), (("updates", (1, 20, 20, 25), up, 20), False),
        (("updates", (40, 40, 0, 25), up, 20), False), (("updates", (60, 60, 20, 25), up, 20), False),
    ]:
        errs = suite.judge_counts(*args)
        if bool(errs) == ok:
            failed.append(f"judge_counts{args}: {'rejected' if errs else 'accepted'} ({errs})")
    if failed:
        print("bench/suite/selftest.py: the correctness checks are broken:", *failed, sep="\n  ", file=sys.stderr)
        return 1
    print("==> self-test: the checks reject a wrong server on every workload and accept a correct one", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
