"""The Django project itself: listen address, apps, middleware, templates, the REST API and its schema."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from argus_site.settings.topology import ARGUS_VERSION, BASE_DIR, GENERATED_SECRET_KEY, SECRET_KEY_FILE, cfg

# 127.0.0.1 by default (not the guide's 0.0.0.0 example): a fresh install should not expose the
# admin on every interface until an operator chooses to.
ARGUS_HOST = cfg.text("ARGUS_HOST", "127.0.0.1")
ARGUS_PORT = cfg.integer("ARGUS_PORT", 8001, minimum=1)
ARGUS_WORKERS = cfg.integer("ARGUS_WORKERS", 2, minimum=1)
DEBUG = cfg.flag("ARGUS_DEBUG", False)
ALLOWED_HOSTS = cfg.items("ARGUS_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])


def _secret_key() -> str:
    if cfg.is_set("ARGUS_SECRET_KEY"):
        return cfg.text("ARGUS_SECRET_KEY")
    if not GENERATED_SECRET_KEY:
        raise ImproperlyConfigured(
            "ARGUS_SECRET_KEY must be set in production auth mode (ARGUS_AUTH_MODE=production, the default "
            "with a PostgreSQL DATABASE_URL); outside it a key is generated into var/secret_key"
        )
    # Outside production auth mode: one random key per install, kept outside the repository (bootstrap writes it).
    if not SECRET_KEY_FILE.exists():
        raise ImproperlyConfigured(
            f"{SECRET_KEY_FILE} is missing: start Argus through manage.py, argus_site.asgi or the Celery app "
            "(they run argus_site.bootstrap first), or set ARGUS_SECRET_KEY"
        )
    return SECRET_KEY_FILE.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()

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
    # /api/docs/ serves Swagger UI from drf-spectacular-sidecar's bundled assets: no CDN needed.
    "drf_spectacular_sidecar",
    # Bottom to top (tests/layout/test_imports.py keeps the imports so).
    "cachemgr",
    "monitoring",
    "pools",
    "marketdata",
    "streaming",
    "mcpserver",
    "argus_site",
]

MIDDLEWARE = [
    "core.middleware.RejectNulBytes",
    "core.middleware.ApiLanguage",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ApiGZip",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "monitoring.middleware.CorsMiddleware",
    "monitoring.middleware.RequestMonitorMiddleware",
    "monitoring.middleware.AdminLoginLockoutMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "argus_site.middleware.ExchangeTimeZoneMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The first admin account (`manage.py ensure_admin`; the password is generated and printed once when unset).
ARGUS_ADMIN_USER = cfg.text("ARGUS_ADMIN_USER", "admin")
ARGUS_ADMIN_PASSWORD = cfg.text("ARGUS_ADMIN_PASSWORD")

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
ARGUS_EXCHANGE_TZ = "Asia/Shanghai"
# The admin and the console print times in ARGUS_EXCHANGE_TZ (argus_site.middleware) with the zone
# shown: "2026-12-02 20:37:34 CST (+0800)".
FORMAT_MODULE_PATH = ["argus_site.formats"]
# /health turns degraded (and the seeded alert rule fires) when a market's calendar ends within this many days.
ARGUS_CALENDAR_HORIZON_DAYS = cfg.integer("ARGUS_CALENDAR_HORIZON_DAYS", 30, minimum=1)

STATIC_URL = "static/"
# The admin's CSS and JS are served by WhiteNoise straight from the app directories, so neither
# topology needs a collectstatic step or a separate web server for them.
WHITENOISE_USE_FINDERS = True
# Our own pages' CSS and JS (static/console/) and the vendored charting library (static/vendor/,
# copied from npm by `make install`; see scripts/static-vendor).
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- REST framework and the OpenAPI schema ---
# Answer fully cached GET /latest and /history in the event loop, without Django's thread hops.
ARGUS_HTTP_FAST_PATH = cfg.flag("ARGUS_HTTP_FAST_PATH", True)
# HTTP answers under /api/ at least this long are gzip-encoded (level 6, the user guide's) for
# clients that send Accept-Encoding: gzip; the fast path compresses a cached value's data once
# (core/compress.py). 0 turns it off. A year of daily bars is ~35 KB of JSON, a quote ~0.4 KB.
ARGUS_HTTP_GZIP_MIN_BYTES = cfg.integer("ARGUS_HTTP_GZIP_MIN_BYTES", 1024, minimum=0)
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["core.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.BoundedJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["monitoring.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "core.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # `format` is an ordinary query parameter (history's format=csv), not DRF's renderer override.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Argus market data API",
    "DESCRIPTION": (
        "China A-share market data: REST, WebSocket and MCP. Every market-data answer says where it came from "
        "(`source`: the source's name, `simulated`, `as_of`).\n\n"
        "The WebSocket protocol (`/ws/market_data`: subscribe, resume, epochs, pushes) is described as an "
        "AsyncAPI 3 document: [/api/asyncapi.yaml](/api/asyncapi.yaml), rendered at [/api/asyncapi/](/api/asyncapi/)."
    ),
    "TAGS": [
        {"name": "market data", "description": "the spec's 市场数据 API"},
        {"name": "market_data (node to node)", "description": "what gateways (the upstream source) read from nodes"},
        {"name": "cache", "description": "the spec's 缓存管理 API"},
        {"name": "pools", "description": "the spec's 连接池管理 API"},
        {"name": "monitoring", "description": "the spec's 系统监控 API and Prometheus metrics"},
    ],
    # Names for the health states of /health and of a pool (which adds "unknown").
    "ENUM_NAME_OVERRIDES": {
        "HealthStatusEnum": ["healthy", "degraded", "unhealthy"],
        "PoolHealthStatusEnum": ["healthy", "degraded", "unhealthy", "unknown"],
    },
    "VERSION": ARGUS_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # 3.1: nullable fields are `type: [..., "null"]`, which JSON Schema validators understand.
    "OAS_VERSION": "3.1.0",
}

# --- MCP ---
# Streamable HTTP on the running service; stdio is `manage.py mcp_server`.
ARGUS_MCP_HTTP_PATH = cfg.text("ARGUS_MCP_HTTP_PATH", "/mcp")
# Dotted path of `guard(headers, client_ip)` raising an ApiError to refuse an /mcp request (API keys,
# rate limits); empty leaves /mcp open, as REST is when API keys are off.
ARGUS_MCP_HTTP_GUARD = cfg.text("ARGUS_MCP_HTTP_GUARD", "")
# Stateless Streamable HTTP: every /mcp request stands alone (no Mcp-Session-Id), so any worker can
# answer it. With several web processes behind one port a session kept in one process's memory is
# unknown to the others (404 "Session not found" for the calls that land elsewhere), so `serve`
# turns this on whenever it starts more than one worker; a single process keeps sessions, which
# server-initiated notifications (resources/subscribe) need. Set it to force either way.
ARGUS_MCP_HTTP_STATELESS = cfg.flag("ARGUS_MCP_HTTP_STATELESS", False)
