"""FastAPI contender of the TechEmpower-style suite (bench/run), written like the
TechEmpower FastAPI entry: asyncpg pool per worker, orjson, Jinja2 for fortunes. Each
worker reads the ``world`` table into a list at start-up (lifespan) for
``/cached-queries``; ``POST /items/{shop_id}`` is the validated endpoint, pydantic v2
models as in ``bench/apps/validated-fastapi``.

The database is ``BENCH_DB_URL``: ``postgres://...`` (asyncpg) or ``sqlite:///path``
(the standard library's sqlite3, one connection per worker, called from the event loop as
the reads are short). Run with uvicorn, one worker per core::

    uvicorn app:app --app-dir bench/apps/te-fastapi --loop uvloop --http httptools \
        --workers "$(nproc)" --no-access-log --host 127.0.0.1 --port PORT
"""

import hashlib
import os
import random
import sqlite3
from contextlib import asynccontextmanager
from enum import Enum
from operator import itemgetter
from typing import Annotated, Optional

import jinja2
import orjson
from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel, EmailStr, Field

DB_URL = os.environ.get("BENCH_DB_URL", "")
POOL_SIZE = int(os.environ.get("BENCH_POOL_SIZE", "10"))
IS_PG = DB_URL.startswith("postgres")
ADDITIONAL = [0, "Additional fortune added at request time."]

templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(os.path.join(os.path.dirname(__file__), "templates")),
    autoescape=True,
)
fortune_template = templates.get_template("fortunes.html")

pool = None
lite = None
# /cached-queries: every world row, index id - 1, read once per worker at start-up.
cache = []

CACHE_SQL = "SELECT id, randomnumber FROM world ORDER BY id"


@asynccontextmanager
async def lifespan(_app):
    global pool, lite, cache
    if IS_PG:
        import asyncpg

        pool = await asyncpg.create_pool(DB_URL, min_size=POOL_SIZE, max_size=POOL_SIZE)
        rows = await pool.fetch(CACHE_SQL)
    elif DB_URL:
        lite = sqlite3.connect(DB_URL.removeprefix("sqlite://"), check_same_thread=False,
                               isolation_level=None)
        lite.execute("PRAGMA journal_mode=WAL")
        lite.execute("PRAGMA synchronous=NORMAL")
        lite.execute("PRAGMA busy_timeout=10000")
        rows = lite.execute(CACHE_SQL).fetchall()
    else:
        rows = []
    cache = [{"id": i, "randomNumber": r} for i, r in rows]
    yield
    if pool is not None:
        await pool.close()


app = FastAPI(lifespan=lifespan)


def json_response(data):
    return Response(orjson.dumps(data), media_type="application/json")


def clamp(value):
    try:
        n = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(n, 1), 500)


def rid():
    return random.randint(1, 10000)


@app.get("/plaintext")
async def plaintext():
    return PlainTextResponse(b"Hello, World!")


@app.get("/json")
async def json_():
    return json_response({"message": "Hello, World!"})


SELECT_PG = "SELECT id, randomnumber FROM world WHERE id = $1"
SELECT_LITE = "SELECT id, randomnumber FROM world WHERE id = ?"


async def fetch(n):
    out = []
    if IS_PG:
        async with pool.acquire() as conn:
            if n == 1:
                i, r = await conn.fetchrow(SELECT_PG, rid())
                return [{"id": i, "randomNumber": r}]
            stmt = await conn.prepare(SELECT_PG)
            for _ in range(n):
                i, r = await stmt.fetchrow(rid())
                out.append({"id": i, "randomNumber": r})
    else:
        for _ in range(n):
            i, r = lite.execute(SELECT_LITE, (rid(),)).fetchone()
            out.append({"id": i, "randomNumber": r})
    return out


@app.get("/db")
async def single():
    return json_response((await fetch(1))[0])


@app.get("/queries")
async def queries(queries: str | None = None):
    return json_response(await fetch(clamp(queries)))


@app.get("/cached-queries")
async def cached_queries(count: str | None = None):
    return json_response([cache[rid() - 1] for _ in range(clamp(count))])


@app.get("/updates")
async def updates(queries: str | None = None):
    worlds = await fetch(clamp(queries))
    for w in worlds:
        w["randomNumber"] = rid()
    last = {w["id"]: w["randomNumber"] for w in worlds}
    rows = sorted(last.items())
    if IS_PG:
        async with pool.acquire() as conn:
            await conn.execute(
                "UPDATE world SET randomnumber = v.r FROM "
                "(SELECT unnest($1::int4[]) AS id, unnest($2::int4[]) AS r) AS v "
                "WHERE world.id = v.id",
                [i for i, _ in rows],
                [r for _, r in rows],
            )
    else:
        lite.execute("BEGIN")
        lite.executemany("UPDATE world SET randomnumber = ? WHERE id = ?",
                         [(r, i) for i, r in rows])
        lite.execute("COMMIT")
    for w in worlds:
        w["randomNumber"] = last[w["id"]]
    return json_response(worlds)


@app.get("/fortunes")
async def fortunes():
    if IS_PG:
        async with pool.acquire() as conn:
            rows = [list(r) for r in await conn.fetch("SELECT id, message FROM fortune")]
    else:
        rows = [list(r) for r in lite.execute("SELECT id, message FROM fortune").fetchall()]
    rows.append(ADDITIONAL)
    rows.sort(key=itemgetter(1))
    html = fortune_template.render(fortunes=[{"id": i, "message": m} for i, m in rows])
    return HTMLResponse(html)


@app.get("/cpu")
async def cpu():
    d = bytes(32)
    for _ in range(3000):
        d = hashlib.sha256(d).digest()
    return PlainTextResponse(d.hex())


# ---------------------------------------------------------------- validated endpoint
class Category(str, Enum):
    books = "books"
    games = "games"
    music = "music"


class Item(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    description: Optional[str] = Field(default=None, max_length=200)
    price: float = Field(ge=0.0)
    quantity: int = Field(ge=1, le=1000)
    email: EmailStr
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    tags: list[str] = Field(max_length=10)
    in_stock: bool
    category: Category
    discount: float = Field(ge=0.0, le=1.0)


class Echo(BaseModel):
    shop_id: int
    limit: int
    item: Item


@app.post("/items/{shop_id}", response_model=Echo)
async def create_item(
    shop_id: int,
    item: Item,
    limit: Annotated[int, Query(ge=1, le=100)],
) -> Echo:
    return Echo(shop_id=shop_id, limit=limit, item=item)
