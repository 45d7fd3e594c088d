"""Argus settings. Every value is read here, once, from the environment (or config/settings.yaml).

Two topologies come from the same file:
- embedded default (neither DATABASE_URL nor Redis configured): SQLite, in-process caches, the
  in-memory channel layer, periodic jobs inside the server process;
- production (DATABASE_URL and REDIS_URL set): PostgreSQL, django-redis, channels-redis, Celery
  with a Redis broker, with the worker and exactly one beat as their own processes.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured

from argus_site.settings.config import load

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"
cfg = load(BASE_DIR)
# Lets admin.ModelAdmin[Model] and QuerySet[Model] be subscripted at runtime (django-stubs).
django_stubs_ext.monkeypatch()

ARGUS_VERSION = "1.0.0"

# --- Service -------------------------------------------------------------------------------
# 127.0.0.1 by default (not the guide's 0.0.0.0 example): a fresh install should not expose the
# admin on every interface until an operator chooses to.
ARGUS_HOST = cfg.text("ARGUS_HOST", "127.0.0.1")
ARGUS_PORT = cfg.integer("ARGUS_PORT", 8001, minimum=1)
ARGUS_WORKERS = cfg.integer("ARGUS_WORKERS", 2, minimum=1)
DEBUG = cfg.flag("ARGUS_DEBUG", False)
ARGUS_NAMESPACE = cfg.text("ARGUS_NAMESPACE", "argus")

DATABASE_URL = cfg.text("DATABASE_URL")
if cfg.is_set("REDIS_URL"):
    REDIS_URL = cfg.text("REDIS_URL")
elif cfg.is_set("REDIS_HOST"):
    REDIS_URL = f"redis://{cfg.text('REDIS_HOST')}:{cfg.integer('REDIS_PORT', 6379)}/{cfg.integer('REDIS_DB', 0)}"
else:
    REDIS_URL = ""
USE_REDIS = bool(REDIS_URL)
# Production means external services; the periodic jobs then belong to Celery beat.
ARGUS_PRODUCTION = bool(DATABASE_URL) or USE_REDIS
ARGUS_EMBEDDED_JOBS = cfg.flag("ARGUS_EMBEDDED_JOBS", not USE_REDIS)


def _secret_key() -> str:
    if cfg.is_set("ARGUS_SECRET_KEY"):
        return cfg.text("ARGUS_SECRET_KEY")
    if ARGUS_PRODUCTION:
        raise ImproperlyConfigured("ARGUS_SECRET_KEY must be set when DATABASE_URL or REDIS_URL is set")
    # Embedded default: one random key per install, kept outside the repository.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = cfg.items("ARGUS_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "marketdata",
    "cachemgr",
    "pools",
    "monitoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "monitoring.middleware.CorsMiddleware",
    "monitoring.middleware.RequestMonitorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "argus_site.urls"
APPEND_SLASH = False
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "argus_site.wsgi.application"
ASGI_APPLICATION = "argus_site.asgi.application"

# --- Database ------------------------------------------------------------------------------
# PostgreSQL connections come from a pool per process (Django's psycopg pool): a request checks one
# out at its first query and gives it back when it ends; past ARGUS_DB_POOL_MAX_SIZE busy ones, the
# next waits up to ARGUS_DB_POOL_TIMEOUT s, then answers 503 DATABASE_ERROR. Persistent connections
# (CONN_MAX_AGE > 0) are no substitute under uvicorn: each request's sync work runs in a
# thread-sensitive context of its own, so a kept connection is never reused and they pile up until
# PostgreSQL refuses clients. ARGUS_DB_POOL_MAX_SIZE=0 turns the pool off (behind an external pooler
# such as PgBouncer); only then may ARGUS_DB_CONN_MAX_AGE keep connections, in processes without ASGI.
ARGUS_DB_POOL_MIN_SIZE = cfg.integer("ARGUS_DB_POOL_MIN_SIZE", 1, minimum=0)
ARGUS_DB_POOL_MAX_SIZE = cfg.integer("ARGUS_DB_POOL_MAX_SIZE", 10, minimum=0)
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
if DATABASE_URL:
    DATABASES = {"default": environ.Env.db_url_config(DATABASE_URL)}
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
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "argus.sqlite3",
            # WAL lets the feed write while requests read.
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
ARGUS_EXCHANGE_TZ = "Asia/Shanghai"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# The admin's CSS and JS are served by WhiteNoise straight from the app directories, so neither
# topology needs a collectstatic step or a separate web server for them.
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Caches (L2 = "default", L3 = "l3"; L1 is process memory, see cachemgr) ------------------
CACHE_TTL_DEFAULT = cfg.integer("CACHE_TTL_DEFAULT", 300, minimum=1)
ARGUS_CACHE_TTL_HOT = cfg.integer("ARGUS_CACHE_TTL_HOT", 30, minimum=1)
ARGUS_CACHE_TTL_WARM = cfg.integer("ARGUS_CACHE_TTL_WARM", 300, minimum=1)
ARGUS_CACHE_TTL_COLD = cfg.integer("ARGUS_CACHE_TTL_COLD", 3600, minimum=1)
ARGUS_REDIS_MAX_CONNECTIONS = cfg.integer("ARGUS_REDIS_MAX_CONNECTIONS", 200, minimum=1)

if USE_REDIS:
    _l2: dict[str, Any] = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "TIMEOUT": CACHE_TTL_DEFAULT,
        "KEY_PREFIX": ARGUS_NAMESPACE,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "CONNECTION_POOL_KWARGS": {"max_connections": ARGUS_REDIS_MAX_CONNECTIONS},
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
        },
    }
else:
    _l2 = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "argus-l2",
        "TIMEOUT": CACHE_TTL_DEFAULT,
        "KEY_PREFIX": ARGUS_NAMESPACE,
    }
CACHES = {
    "default": _l2,
    "l3": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "argus_cache_l3",
        "TIMEOUT": ARGUS_CACHE_TTL_COLD,
        "KEY_PREFIX": ARGUS_NAMESPACE,
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}

# --- Channels ------------------------------------------------------------------------------
if USE_REDIS:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "max_connections": ARGUS_REDIS_MAX_CONNECTIONS}],
                "prefix": f"{ARGUS_NAMESPACE}:asgi",
                "capacity": 1000,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Data source ---------------------------------------------------------------------------
# ARGUS_DATA_SOURCE is an alias (simulated, files, xtquant, upstream) or a dotted class path;
# each alias gets its own OPTIONS (a dotted path gets none: subclass to configure).
_SOURCE = cfg.text("ARGUS_DATA_SOURCE", "simulated")
_SOURCE_OPTIONS: dict[str, dict[str, Any]] = {
    "simulated": {
        "seed": cfg.integer("ARGUS_SIM_SEED", 20240101),
        "universe_size": cfg.integer("ARGUS_SIM_UNIVERSE_SIZE", 4000, minimum=10),
        # replay: the embedded default replays the latest trading session shifted to now, so a
        # new user sees a moving market at any hour; real: the exchange's own clock.
        "clock": cfg.text("ARGUS_SIM_CLOCK", "real" if ARGUS_PRODUCTION else "replay"),
    },
    "files": {},
    "xtquant": {
        "host": cfg.text("XTQUANT_HOST", "localhost"),
        "port": cfg.integer("XTQUANT_PORT", 58610, minimum=1),
        "user_id": cfg.text("XTQUANT_USER_ID"),
    },
    "upstream": {"pool": cfg.text("ARGUS_UPSTREAM_POOL", "market_data_pool")},
}
ARGUS_DATA_SOURCE = {"BACKEND": _SOURCE, "OPTIONS": _SOURCE_OPTIONS.get(_SOURCE, {})}

# --- Connection pools ----------------------------------------------------------------------
POOL_MIN_SIZE = cfg.integer("POOL_MIN_SIZE", 5, minimum=0)
POOL_MAX_SIZE = cfg.integer("POOL_MAX_SIZE", 50, minimum=1)
POOL_TIMEOUT = cfg.number("POOL_TIMEOUT", 30.0, minimum=0.1)
POOL_AUTO_SCALE = cfg.flag("POOL_AUTO_SCALE", True)
POOL_SCALE_THRESHOLD = cfg.number("POOL_SCALE_THRESHOLD", 0.8, minimum=0.0)
POOL_HEALTH_CHECK_INTERVAL = cfg.number("POOL_HEALTH_CHECK_INTERVAL", 60.0, minimum=1.0)
if POOL_MIN_SIZE > POOL_MAX_SIZE:
    raise ImproperlyConfigured(f"POOL_MIN_SIZE={POOL_MIN_SIZE} is larger than POOL_MAX_SIZE={POOL_MAX_SIZE}")

# --- Feed and WebSocket --------------------------------------------------------------------
ARGUS_FEED_INTERVAL = cfg.number("ARGUS_FEED_INTERVAL", 3.0, minimum=0.1)
ARGUS_FEED_BATCH_SIZE = cfg.integer("ARGUS_FEED_BATCH_SIZE", 100, minimum=1)
ARGUS_REPLAY_BUFFER_SIZE = cfg.integer("ARGUS_REPLAY_BUFFER_SIZE", 10000, minimum=1)
ARGUS_WS_MAX_CONNECTIONS = cfg.integer("ARGUS_WS_MAX_CONNECTIONS", 1000, minimum=1)
ARGUS_WS_HEARTBEAT_INTERVAL = cfg.number("ARGUS_WS_HEARTBEAT_INTERVAL", 30.0, minimum=1.0)

# --- Periodic jobs: one table for Celery beat and for the embedded in-process scheduler --------
ARGUS_CACHE_OPTIMIZE_INTERVAL = cfg.number("ARGUS_CACHE_OPTIMIZE_INTERVAL", 300.0, minimum=1.0)
ARGUS_ALERT_INTERVAL = cfg.number("ARGUS_ALERT_INTERVAL", 60.0, minimum=1.0)
ARGUS_PERIODIC_JOBS: dict[str, dict[str, Any]] = {
    "feed-poll": {"task": "marketdata.tasks.feed_poll", "interval": ARGUS_FEED_INTERVAL},
    "pools-health-check": {"task": "pools.tasks.pools_health_check", "interval": POOL_HEALTH_CHECK_INTERVAL},
    "cache-optimize": {"task": "cachemgr.tasks.cache_optimize", "interval": ARGUS_CACHE_OPTIMIZE_INTERVAL},
    "alerts-evaluate": {"task": "monitoring.tasks.alerts_evaluate", "interval": ARGUS_ALERT_INTERVAL},
}

# --- Celery --------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not USE_REDIS
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{ARGUS_NAMESPACE}:celery:"}
CELERY_BEAT_SCHEDULE = {
    name: {"task": job["task"], "schedule": job["interval"], "options": {"expires": job["interval"]}}
    for name, job in ARGUS_PERIODIC_JOBS.items()
}

# --- REST framework and schema ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["argus_site.api.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["monitoring.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "argus_site.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Argus market data API",
    "DESCRIPTION": "China A-share market data: REST, WebSocket and MCP.",
    "VERSION": ARGUS_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Admin account ---------------------------------------------------------------------------
ARGUS_ADMIN_USER = cfg.text("ARGUS_ADMIN_USER", "admin")
ARGUS_ADMIN_PASSWORD = cfg.text("ARGUS_ADMIN_PASSWORD")

# --- Logging ---------------------------------------------------------------------------------
ARGUS_LOG_LEVEL = cfg.text("ARGUS_LOG_LEVEL", "INFO").upper()
ARGUS_LOG_DIR = Path(cfg.text("ARGUS_LOG_DIR", str(BASE_DIR / "logs")))
# File handlers, one per log file of the user guide, are added in the issue 8 section below.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "monitoring.logfilters.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": ARGUS_LOG_LEVEL},
}

# --- Sources and imports (issue 2) -----------------------------------------------------------

# --- Market-data REST API (issue 3) ----------------------------------------------------------
# Answer fully cached GET /latest in the event loop, without Django's per-request thread hops.
ARGUS_HTTP_FAST_PATH = cfg.flag("ARGUS_HTTP_FAST_PATH", True)
# `format` is an ordinary query parameter (history's format=csv), not DRF's renderer override.
REST_FRAMEWORK["URL_FORMAT_OVERRIDE"] = None
# /api/docs/ serves Swagger UI from drf-spectacular-sidecar's bundled assets: no CDN needed.
INSTALLED_APPS.append("drf_spectacular_sidecar")
SPECTACULAR_SETTINGS.update(
    {
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "COMPONENT_SPLIT_REQUEST": True,
        # 3.1: nullable fields are `type: [..., "null"]`, which JSON Schema validators understand.
        "OAS_VERSION": "3.1.0",
    }
)

# --- Cache manager (issue 4) -----------------------------------------------------------------
# L1 is each process's own memory: bounded by entries and by bytes (pickled size of the values).
ARGUS_CACHE_L1_MAX_ENTRIES = cfg.integer("ARGUS_CACHE_L1_MAX_ENTRIES", 20000, minimum=1)
ARGUS_CACHE_L1_MAX_MB = cfg.number("ARGUS_CACHE_L1_MAX_MB", 64.0, minimum=0.01)
# With Redis, another process (the feed) may replace an entry: an L1 copy is re-read from L2 after
# this many seconds. Without Redis all writes go through the one process, so the TTL alone rules.
ARGUS_CACHE_L1_REFRESH = cfg.number("ARGUS_CACHE_L1_REFRESH", 1.0, minimum=0.0)
# How often each process publishes its counters and checks for rule changes (Redis only).
ARGUS_CACHE_SYNC_INTERVAL = cfg.number("ARGUS_CACHE_SYNC_INTERVAL", 1.0, minimum=0.1)
# After a Redis error, L2 is skipped for this long before one request tries it again.
ARGUS_CACHE_L2_RETRY = cfg.number("ARGUS_CACHE_L2_RETRY", 2.0, minimum=0.1)
# optimize drops L1 entries nobody has read for this long.
ARGUS_CACHE_COLD_SECONDS = cfg.number("ARGUS_CACHE_COLD_SECONDS", 600.0, minimum=1.0)

# --- Feed and WebSocket streaming (issue 5) --------------------------------------------------
# Poll every listed instrument, not only the symbols someone subscribes to.
ARGUS_FEED_WHOLE_MARKET = cfg.flag("ARGUS_FEED_WHOLE_MARKET", False)
# A symbol with no new tick for this many feed intervals during a session is marked stale.
ARGUS_FEED_STALE_INTERVALS = cfg.number("ARGUS_FEED_STALE_INTERVALS", 2.0, minimum=1.0)
# The push feed (`manage.py feed --mode push`) keeps the latest tick of at most this many symbols
# between two drains into the ingest; ticks of further symbols wait for their next push.
ARGUS_FEED_PUSH_BUFFER = cfg.integer("ARGUS_FEED_PUSH_BUFFER", 10000, minimum=1)
ARGUS_WS_MAX_SYMBOLS = cfg.integer("ARGUS_WS_MAX_SYMBOLS", 200, minimum=1)
# Spec: 1000 messages/minute per connection (client -> server messages).
ARGUS_WS_RATE_LIMIT = cfg.integer("ARGUS_WS_RATE_LIMIT", 1000, minimum=1)
ARGUS_WS_MAX_MESSAGE_BYTES = cfg.integer("ARGUS_WS_MAX_MESSAGE_BYTES", 65536, minimum=256)
# Pushes queued per connection before it is conflated (latest quote per symbol) ...
ARGUS_WS_SEND_QUEUE = cfg.integer("ARGUS_WS_SEND_QUEUE", 1000, minimum=1)
# ... and how long it may stay conflated before it is closed with code 4008.
ARGUS_WS_SLOW_CLIENT_TIMEOUT = cfg.number("ARGUS_WS_SLOW_CLIENT_TIMEOUT", 20.0, minimum=1.0)

# --- MCP (issue 6) ---------------------------------------------------------------------------
# Streamable HTTP on the running service; stdio is `manage.py mcp_server`.
ARGUS_MCP_HTTP_PATH = cfg.text("ARGUS_MCP_HTTP_PATH", "/mcp")
# Dotted path of `guard(headers, client_ip)` raising an ApiError to refuse an /mcp request (API keys,
# rate limits); empty leaves /mcp open, as REST is when API keys are off.
ARGUS_MCP_HTTP_GUARD = cfg.text("ARGUS_MCP_HTTP_GUARD", "monitoring.services.guard.mcp_guard")

# --- Pools (issue 7) -------------------------------------------------------------------------
POOL_MAX_IDLE_TIME = cfg.number("POOL_MAX_IDLE_TIME", 300.0, minimum=0.0)
POOL_SCALE_FACTOR = cfg.number("POOL_SCALE_FACTOR", 1.5, minimum=1.0)
# How often a process compares its pool config with the shared version token (seconds).
ARGUS_POOL_SYNC_INTERVAL = cfg.number("ARGUS_POOL_SYNC_INTERVAL", 1.0, minimum=0.0)
# With Redis: how often each process publishes its pool measurements, and when they count as gone.
ARGUS_POOL_PUBLISH_INTERVAL = cfg.number("ARGUS_POOL_PUBLISH_INTERVAL", 2.0, minimum=0.1)
ARGUS_POOL_METRICS_STALE = cfg.number("ARGUS_POOL_METRICS_STALE", 10.0, minimum=1.0)
# Health probes: timeout (capped by the pool's timeout), and data freshness during trading hours.
ARGUS_POOL_HEALTH_TIMEOUT = cfg.number("ARGUS_POOL_HEALTH_TIMEOUT", 5.0, minimum=0.1)
ARGUS_POOL_MAX_DATA_AGE = cfg.number("ARGUS_POOL_MAX_DATA_AGE", 120.0, minimum=1.0)
ARGUS_POOL_PROBE_SYMBOL = cfg.text("ARGUS_POOL_PROBE_SYMBOL", "000001.SZ")
# Sent as X-API-Key to upstream nodes whose API keys are enabled.
ARGUS_POOL_API_KEY = cfg.text("ARGUS_POOL_API_KEY", "")

# --- Monitoring, rate limits, API keys, alerts (issue 8) -------------------------------------
# API keys: production (DATABASE_URL/REDIS_URL set) always needs a scoped key for management
# endpoints; market-data reads need one only when ARGUS_REQUIRE_API_KEY is on.
ARGUS_REQUIRE_API_KEY = cfg.flag("ARGUS_REQUIRE_API_KEY", False)
# development = the spec's 开发环境 (no key needed anywhere); production = the rules above.
ARGUS_AUTH_MODE = cfg.text("ARGUS_AUTH_MODE", "production" if ARGUS_PRODUCTION else "development")
if ARGUS_AUTH_MODE not in ("development", "production"):
    raise ImproperlyConfigured(f"ARGUS_AUTH_MODE={ARGUS_AUTH_MODE!r}: expected development or production")
# Rate limits (the spec's 限流规则): class -> (requests, window seconds), per API key, else per IP.
ARGUS_RATE_LIMIT_WINDOW = cfg.number("ARGUS_RATE_LIMIT_WINDOW", 60.0, minimum=0.1)
ARGUS_RATE_LIMITS: dict[str, tuple[int, float]] = {
    "realtime": (cfg.integer("ARGUS_RATE_LIMIT_REALTIME", 100, minimum=1), ARGUS_RATE_LIMIT_WINDOW),
    "history": (cfg.integer("ARGUS_RATE_LIMIT_HISTORY", 50, minimum=1), ARGUS_RATE_LIMIT_WINDOW),
    "management": (cfg.integer("ARGUS_RATE_LIMIT_MANAGEMENT", 20, minimum=1), ARGUS_RATE_LIMIT_WINDOW),
    "websocket": (cfg.integer("ARGUS_RATE_LIMIT_WEBSOCKET", 1000, minimum=1), ARGUS_RATE_LIMIT_WINDOW),
}
# Behind a reverse proxy that sets X-Forwarded-For, limit by the client's address, not the proxy's.
ARGUS_TRUST_X_FORWARDED_FOR = cfg.flag("ARGUS_TRUST_X_FORWARDED_FOR", False)

# Metrics: in-process counters flushed to Redis (or process memory) every interval; rates over the window.
ARGUS_METRICS_FLUSH_INTERVAL = cfg.number("ARGUS_METRICS_FLUSH_INTERVAL", 1.0, minimum=0.1)
ARGUS_METRICS_WINDOW = cfg.integer("ARGUS_METRICS_WINDOW", 60, minimum=1)
ARGUS_METRICS_EXCLUDE = ("/health", "/metrics", "/static/")
ARGUS_FEED_STALE_AFTER = cfg.number("ARGUS_FEED_STALE_AFTER", max(30.0, 5 * ARGUS_FEED_INTERVAL), minimum=1.0)
ARGUS_ALERT_WEBHOOK_URL = cfg.text("ARGUS_ALERT_WEBHOOK_URL")
ARGUS_ALERT_WEBHOOK_TIMEOUT = cfg.number("ARGUS_ALERT_WEBHOOK_TIMEOUT", 5.0, minimum=0.1)

# Browser clients: origins allowed by CORS, and the same origins (plus ALLOWED_HOSTS) on WebSockets.
ARGUS_CORS_ALLOWED_ORIGINS = cfg.items("ARGUS_CORS_ALLOWED_ORIGINS", [])

# Request size limit (JSON bodies and forms).
DATA_UPLOAD_MAX_MEMORY_SIZE = cfg.integer("ARGUS_MAX_REQUEST_BYTES", 1_048_576, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# Security headers everywhere; TLS-only settings when ARGUS_TLS says clients reach us over HTTPS
# (directly or through a TLS-terminating proxy that sets X-Forwarded-Proto). The embedded default
# serves plain http://localhost:8001, where secure cookies and HSTS would break the admin.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
ARGUS_TLS = cfg.flag("ARGUS_TLS", False)
if ARGUS_TLS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = cfg.flag("ARGUS_SSL_REDIRECT", True)
    # Load balancers probe /health and Prometheus scrapes /metrics over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^health$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = cfg.integer("ARGUS_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = cfg.flag("ARGUS_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = cfg.flag("ARGUS_HSTS_PRELOAD", False)

# Logs (the user guide's files), rotated; every handler masks keys and tokens.
ARGUS_LOG_MAX_BYTES = cfg.integer("ARGUS_LOG_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
ARGUS_LOG_BACKUPS = cfg.integer("ARGUS_LOG_BACKUPS", 5, minimum=0)
ARGUS_LOG_FILES = {
    "argus_mcp.log": ["argus", "argus_mcp", "django", "celery"],
    "cache_optimizer.log": ["argus.cache", "argus_mcp.cache_optimizer"],
    "connection_pool.log": ["argus.pools"],
    "market_data.log": ["argus.marketdata", "argus.feed", "argus.ws"],
}
if str(ARGUS_LOG_DIR) != "-":  # ARGUS_LOG_DIR=- logs to the console only
    ARGUS_LOG_DIR.mkdir(parents=True, exist_ok=True)
    for _file, _loggers in ARGUS_LOG_FILES.items():
        LOGGING["handlers"][_file] = {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(ARGUS_LOG_DIR / _file),
            "maxBytes": ARGUS_LOG_MAX_BYTES,
            "backupCount": ARGUS_LOG_BACKUPS,
            "encoding": "utf-8",
            "delay": True,
            "formatter": "plain",
            "filters": ["redact"],
        }
        for _name in _loggers:
            LOGGING.setdefault("loggers", {}).setdefault(_name, {"handlers": [], "level": ARGUS_LOG_LEVEL})
            LOGGING["loggers"][_name]["handlers"].append(_file)

# Short, stable id of this checkout: test runs from different checkouts sharing one PostgreSQL
# and Redis use it to keep their databases and keys apart.
ARGUS_CHECKOUT_ID = hashlib.sha1(str(BASE_DIR).encode()).hexdigest()[:8]
