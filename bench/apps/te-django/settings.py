"""Django contender of the TechEmpower-style suite (bench/run): its ORM, its templates,
gunicorn with one sync worker per core, production settings (DEBUG off, no middleware
beyond what the workloads need, as the TechEmpower Django entry).

The database is ``BENCH_DB_URL``: ``postgres://user@host:port/name`` or ``sqlite:///path``.
"""

import os
from urllib.parse import unquote, urlparse

SECRET_KEY = "bench-suite-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "world.urls"
INSTALLED_APPS = ["world"]
MIDDLEWARE = []
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
    }
]

_url = os.environ.get("BENCH_DB_URL", "sqlite:///:memory:")
if _url.startswith("postgres"):
    u = urlparse(_url)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": u.path.lstrip("/"),
            "USER": unquote(u.username or "postgres"),
            "PASSWORD": unquote(u.password or ""),
            "HOST": u.hostname or "127.0.0.1",
            "PORT": str(u.port or 5432),
            "CONN_MAX_AGE": None,
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _url.removeprefix("sqlite://"),
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "timeout": 10,
            },
        }
    }
