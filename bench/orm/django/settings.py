"""Standalone Django settings for the ORM benchmark (bench/orm/run).

The database comes from the environment the run script sets:
  BENCH_DB=sqlite    BENCH_SQLITE_PATH=/tmp/...sqlite3
  BENCH_DB=postgres  BENCH_PG_URL=postgres://user@host:port/dbname  BENCH_PG_SCHEMA=name
The tables are created by the Rust harness (Trellis's schema editor); the models here
are unmanaged mirrors of them.
"""

import os
from urllib.parse import unquote, urlparse

SECRET_KEY = "orm-benchmark-only"
DEBUG = False  # with DEBUG=True Django keeps every query in connection.queries
USE_TZ = True
INSTALLED_APPS = ["benchapp"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if os.environ.get("BENCH_DB", "sqlite") == "postgres":
    url = urlparse(os.environ["BENCH_PG_URL"])
    schema = os.environ["BENCH_PG_SCHEMA"]
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": url.path.lstrip("/") or "postgres",
            "USER": unquote(url.username or "postgres"),
            "PASSWORD": unquote(url.password or ""),
            "HOST": url.hostname or "127.0.0.1",
            "PORT": str(url.port or 5432),
            # The connection stays open for the whole run, like the Rust pools.
            "CONN_MAX_AGE": None,
            "OPTIONS": {"options": f"-c search_path={schema}"},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ["BENCH_SQLITE_PATH"],
            "CONN_MAX_AGE": None,
            # The same settings as the Rust pools (the Trellis ORM's defaults for files):
            # WAL (also persisted in the file), synchronous=NORMAL, 10 s busy timeout.
            # Django turns foreign keys on itself.
            "OPTIONS": {
                "timeout": 10,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            },
        }
    }
