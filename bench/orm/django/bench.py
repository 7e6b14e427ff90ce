"""ORM benchmark, Django side (bench/orm/run drives it).

    python bench.py check DB               run every workload once, print one check per line
    python bench.py run DB [--rounds N]    time every workload, print one JSON line per result

DB is the label printed in the results (sqlite, postgres); the connection comes from the
environment (see settings.py). Iteration counts come from BENCH_ITERS, as for the Rust
harness, and are measured the same way: max(2, iters // 10) warm-up operations, then the
iterations in N rounds, each operation timed on its own (time.perf_counter_ns), median,
mean, min and max in microseconds. The checks are computed exactly as in
bench/apps/orm-bench/src/data.rs, outside the timed part.
"""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from benchapp.models import Comment, Post, User  # noqa: E402

PREFETCH_USERS = 100
INSERT_ROWS = 100
CLEANUP_SQL = "DELETE FROM bench_user WHERE id > 10000"

WORKLOADS = [
    "load_1",
    "load_100",
    "load_10000",
    "left_join",
    "insert_bulk_100",
    "insert_loop_100",
    "prefetch",
    "prefetch_manual",
]


class Check:
    """Row count and order-independent checksum, as data.rs computes them."""

    def __init__(self):
        self.rows = 0
        self.checksum = 0

    def user(self, id, name, hair):
        self.rows += 1
        self.checksum += id + len(name) + (len(hair) if hair is not None else 0)

    def post(self, id, title, body, user):
        self.rows += 1
        self.checksum += id + len(title) + (len(body) if body is not None else 0)
        if user is not None:
            uid, name, hair = user
            self.checksum += 1_000_000 + uid + len(name) + (len(hair) if hair is not None else 0)

    def inserted(self, id, name):
        if id is not None and id > 0:
            self.rows += 1
        self.checksum += len(name)

    def nested(self, id):
        self.rows += 1
        self.checksum += id

    def add_len(self, text):
        self.checksum += len(text)


def new_user(i):
    return User(name=f"New user {i}", hair_color="green" if i % 2 == 0 else None)


def cleanup():
    with connection.cursor() as cursor:
        cursor.execute(CLEANUP_SQL)


def op_load(n):
    t = time.perf_counter_ns()
    users = list(User.objects.order_by("id")[:n])
    elapsed = time.perf_counter_ns() - t
    c = Check()
    for u in users:
        c.user(u.id, u.name, u.hair_color)
    return elapsed, c


def op_left_join():
    t = time.perf_counter_ns()
    posts = list(Post.objects.select_related("user"))
    elapsed = time.perf_counter_ns() - t
    c = Check()
    for p in posts:
        u = p.user
        c.post(p.id, p.title, p.body, (u.id, u.name, u.hair_color) if u is not None else None)
    return elapsed, c


def op_insert_bulk():
    t = time.perf_counter_ns()
    users = User.objects.bulk_create([new_user(i) for i in range(INSERT_ROWS)])
    elapsed = time.perf_counter_ns() - t
    c = Check()
    for u in users:
        c.inserted(u.id, u.name)
    cleanup()
    return elapsed, c


def op_insert_loop():
    c = Check()
    t = time.perf_counter_ns()
    for i in range(INSERT_ROWS):
        u = new_user(i)
        u.save()
        c.inserted(u.id, u.name)
    elapsed = time.perf_counter_ns() - t
    cleanup()
    return elapsed, c


def check_tree(tree):
    c = Check()
    for u, posts in tree:
        c.nested(u.id)
        for p, comments in posts:
            c.nested(p.id)
            for cm in comments:
                c.nested(cm.id)
                c.add_len(cm.text)
    return c


def op_prefetch():
    t = time.perf_counter_ns()
    users = list(User.objects.order_by("id")[:PREFETCH_USERS].prefetch_related("posts__comments"))
    elapsed = time.perf_counter_ns() - t
    # Reading the prefetched relations runs no query (`check` prints the query count: 3).
    tree = [(u, [(p, p.comments.all()) for p in u.posts.all()]) for u in users]
    return elapsed, check_tree(tree)


def op_prefetch_manual():
    t = time.perf_counter_ns()
    users = list(User.objects.order_by("id")[:PREFETCH_USERS])
    posts = list(Post.objects.filter(user__in=[u.id for u in users]))
    comments = list(Comment.objects.filter(post__in=[p.id for p in posts]))
    comments_by_post = {}
    for cm in comments:
        comments_by_post.setdefault(cm.post_id, []).append(cm)
    posts_by_user = {}
    for p in posts:
        if p.user_id is not None:
            posts_by_user.setdefault(p.user_id, []).append((p, comments_by_post.pop(p.id, [])))
    tree = [(u, posts_by_user.pop(u.id, [])) for u in users]
    elapsed = time.perf_counter_ns() - t
    return elapsed, check_tree(tree)


OPS = {
    "load_1": lambda: op_load(1),
    "load_100": lambda: op_load(100),
    "load_10000": lambda: op_load(10_000),
    "left_join": op_left_join,
    "insert_bulk_100": op_insert_bulk,
    "insert_loop_100": op_insert_loop,
    "prefetch": op_prefetch,
    "prefetch_manual": op_prefetch_manual,
}


def iterations():
    spec = os.environ.get("BENCH_ITERS", "")
    out = []
    for pair in filter(None, (p.strip() for p in spec.split(","))):
        name, _, n = pair.partition("=")
        if name not in OPS:
            raise SystemExit(f"BENCH_ITERS: unknown workload {name!r}")
        out.append((name, int(n)))
    if not out:
        raise SystemExit("set BENCH_ITERS (bench/orm/run does)")
    return out


def emit(obj):
    print(json.dumps(obj), flush=True)


def cmd_check(db):
    from django.test.utils import CaptureQueriesContext

    postgres = connection.vendor == "postgresql"

    def next_xid():
        # PostgreSQL's next transaction id (reading it assigns none): the write
        # transactions an operation ran, as the Rust harness counts them.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
            return cursor.fetchone()[0]

    for w in WORKLOADS:
        before = next_xid() if postgres else None
        with CaptureQueriesContext(connection) as queries:
            _, c = OPS[w]()
        line = {"type": "check", "db": db, "contender": "django", "workload": w,
                "rows": c.rows, "checksum": c.checksum, "queries": len(queries)}
        if postgres:
            line["transactions"] = next_xid() - before
        # Queries and transactions include the untimed cleanup of the insert workloads.
        emit(line)


def cmd_run(db, rounds):
    for w, iters in iterations():
        warmup = max(2, iters // 10)
        per_round = max(1, -(-iters // rounds))
        expected = None
        for _ in range(warmup):
            _, c = OPS[w]()
            key = (c.rows, c.checksum)
            if expected is None:
                expected = key
            elif key != expected:
                raise SystemExit(f"{w}: django returned {key}, expected {expected}")
        samples = []
        for _ in range(rounds):
            for _ in range(per_round):
                elapsed, _ = OPS[w]()
                samples.append(elapsed)
        samples.sort()
        us = [s / 1000.0 for s in samples]
        emit({"type": "result", "db": db, "contender": "django", "workload": w,
              "iters": len(us), "warmup": warmup, "rounds": rounds,
              "median_us": statistics.median(us), "mean_us": statistics.fmean(us),
              "min_us": us[0], "max_us": us[-1]})
        print(f"    {db} {w}: done", file=sys.stderr, flush=True)


def main(argv):
    if len(argv) >= 2 and argv[0] == "check":
        cmd_check(argv[1])
    elif len(argv) >= 2 and argv[0] == "run":
        rounds = 3
        if len(argv) == 4 and argv[2] == "--rounds":
            rounds = max(1, int(argv[3]))
        elif len(argv) != 2:
            raise SystemExit(__doc__)
        cmd_run(argv[1], rounds)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
