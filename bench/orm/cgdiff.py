"""Compare two contenders' callgrind profiles per operation (bench/orm/callgrind calls it).

    python cgdiff.py A_LONG A_SHORT B_LONG B_SHORT DIVISOR [TOP]

Each profile is a `bench-orm loop` run; LONG - SHORT cancels the fixed costs (start-up,
connecting, seeding checks), and DIVISOR turns the rest into per-operation (or per-row)
figures. Prints the total, the exclusive cost grouped by library, and the functions
whose exclusive cost differs most. Needs `callgrind_annotate` (valgrind).
"""

import re
import subprocess
import sys

GROUPS = [
    ("sqlite3.c", "SQLite engine"),
    ("malloc", "malloc/free"),
    ("memmove", "memcpy/memmove"),
    ("sea-query", "sea-query"),
    ("sea_query", "sea-query"),
    ("trellis-orm", "trellis-orm"),
    ("trellis_orm", "trellis-orm"),
    ("sqlx-postgres", "sqlx-postgres"),
    ("sqlx-sqlite", "sqlx-sqlite"),
    ("sqlx-core", "sqlx-core"),
    ("tokio", "tokio"),
    ("futures", "futures"),
    ("hashbrown", "hash maps"),
    ("foldhash", "hash maps"),
    ("pthread", "pthread"),
]


def load(path):
    out = subprocess.run(
        ["callgrind_annotate", "--auto=no", "--threshold=100", path],
        capture_output=True, text=True, check=True,
    ).stdout
    costs = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$", line)
        if not m or "PROGRAM TOTALS" in m.group(2):
            continue
        name = m.group(2)
        name = re.sub(r"/root/\.cargo/registry/src/[^/]+/", "", name)
        name = re.sub(r"/rustc/[0-9a-f]+/", "", name)
        name = re.sub(r" \[/[^]]*\]", "", name)
        costs[name] = costs.get(name, 0) + int(m.group(1).replace(",", ""))
    return costs


def sub(a, b):
    return {k: a.get(k, 0) - b.get(k, 0) for k in set(a) | set(b)}


def group(name):
    for tag, label in GROUPS:
        if tag in name:
            return label
    return "other"


def main(argv):
    if len(argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    a = sub(load(argv[0]), load(argv[1]))
    b = sub(load(argv[2]), load(argv[3]))
    div = float(argv[4])
    top = int(argv[5]) if len(argv) > 5 else 15
    ta, tb = sum(a.values()) / div, sum(b.values()) / div
    print(f"Ir: trellis {ta:,.0f}  sqlx {tb:,.0f}  ratio {ta / tb:.2f}x  difference {ta - tb:,.0f}")
    groups = {}
    for k in set(a) | set(b):
        g = groups.setdefault(group(k), [0, 0])
        g[0] += a.get(k, 0)
        g[1] += b.get(k, 0)
    print(f"\n{'by library':<16}{'trellis':>12}{'sqlx':>12}{'difference':>12}")
    for name, (x, y) in sorted(groups.items(), key=lambda kv: -(kv[1][0] - kv[1][1])):
        print(f"{name:<16}{x / div:>12,.0f}{y / div:>12,.0f}{(x - y) / div:>12,.0f}")
    keys = sorted(set(a) | set(b), key=lambda k: -(a.get(k, 0) - b.get(k, 0)))
    print(f"\n{'difference':>11}{'trellis':>11}{'sqlx':>11}  function (exclusive cost)")
    for k in keys[:top] + ["..."] + keys[-5:]:
        if k == "...":
            print("        ...")
            continue
        x, y = a.get(k, 0) / div, b.get(k, 0) / div
        print(f"{x - y:>11,.0f}{x:>11,.0f}{y:>11,.0f}  {k[:140]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
