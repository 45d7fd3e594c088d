"""The database: SQLite in the embedded default, PostgreSQL through a per-process pool in production.

PostgreSQL connections come from a pool per process (Django's psycopg pool): a request checks one
out at its first query and gives it back when it ends; past ARGUS_DB_POOL_MAX_SIZE busy ones, the
next waits up to ARGUS_DB_POOL_TIMEOUT s, then answers 503 DATABASE_ERROR. Persistent connections
(CONN_MAX_AGE > 0) are no substitute under uvicorn: each request's sync work runs in a
thread-sensitive context of its own, so a kept connection is never reused and they pile up until
PostgreSQL refuses clients. ARGUS_DB_POOL_MAX_SIZE=0 turns the pool off (behind an external pooler
such as PgBouncer); only then may ARGUS_DB_CONN_MAX_AGE keep connections, in processes without ASGI.
"""

from __future__ import annotations

from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from argus_site.settings.topology import DATABASE_URL, VAR_DIR, cfg

ARGUS_DB_POOL_MIN_SIZE = cfg.integer("ARGUS_DB_POOL_MIN_SIZE", 1, minimum=0)
# The web workers together hold at most ARGUS_DB_MAX_CONNECTIONS (PostgreSQL's default
# max_connections is 100, shared with Celery, the feed, admin tools and other users of the server):
# each worker's pool gets its share, ARGUS_WORKERS × the pool never exceeds the budget, capped at 10
# (more threads than that querying at once in one worker only queue inside PostgreSQL) and at least
# 2 (one request's query plus a /health probe). `serve --workers N` exports ARGUS_WORKERS=N to the
# workers it spawns, so the share follows the real worker count. ARGUS_DB_POOL_MAX_SIZE, when set,
# wins.
ARGUS_DB_MAX_CONNECTIONS = cfg.integer("ARGUS_DB_MAX_CONNECTIONS", 40, minimum=1)
_workers = cfg.integer("ARGUS_WORKERS", 2, minimum=1)
ARGUS_DB_POOL_MAX_SIZE = cfg.integer(
    "ARGUS_DB_POOL_MAX_SIZE", max(2, min(10, ARGUS_DB_MAX_CONNECTIONS // _workers)), minimum=0
)
ARGUS_DB_POOL_TIMEOUT = cfg.number("ARGUS_DB_POOL_TIMEOUT", 2.0, minimum=0.1)
ARGUS_DB_CONN_MAX_AGE = cfg.integer("ARGUS_DB_CONN_MAX_AGE", 0, minimum=0)
if ARGUS_DB_POOL_MAX_SIZE and ARGUS_DB_CONN_MAX_AGE:
    raise ImproperlyConfigured(
        f"ARGUS_DB_CONN_MAX_AGE={ARGUS_DB_CONN_MAX_AGE} needs the connection pool off (ARGUS_DB_POOL_MAX_SIZE=0): "
        "pooled connections go back to the pool after each request; unset ARGUS_DB_CONN_MAX_AGE"
    )
if ARGUS_DB_POOL_MAX_SIZE and ARGUS_DB_POOL_MIN_SIZE > ARGUS_DB_POOL_MAX_SIZE:
    raise ImproperlyConfigured(
        f"ARGUS_DB_POOL_MIN_SIZE={ARGUS_DB_POOL_MIN_SIZE} is larger than "
        f"ARGUS_DB_POOL_MAX_SIZE={ARGUS_DB_POOL_MAX_SIZE}"
    )

DATABASES: dict[str, dict[str, Any]]
if DATABASE_URL:
    DATABASES = {"default": dict(environ.Env.db_url_config(DATABASE_URL))}
    DATABASES["default"]["CONN_MAX_AGE"] = ARGUS_DB_CONN_MAX_AGE
    # Checked on every checkout from the pool (or reuse without it): a restarted PostgreSQL costs
    # one reconnect, not an error.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if ARGUS_DB_POOL_MAX_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": ARGUS_DB_POOL_MIN_SIZE,
            "max_size": ARGUS_DB_POOL_MAX_SIZE,
            "timeout": ARGUS_DB_POOL_TIMEOUT,
            "name": "argus",
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "argus.sqlite3",
            # WAL lets the feed write while requests read.
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20},
        }
    }
