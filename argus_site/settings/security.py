"""Who may do what, how often, from where: API keys, rate limits, proxies, CORS, limits, TLS headers."""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ImproperlyConfigured

from argus_site.settings.config import auth_mode
from argus_site.settings.topology import cfg

# API keys: production auth mode always needs a scoped key for management endpoints; market-data
# reads need one only when ARGUS_REQUIRE_API_KEY is on.
ARGUS_REQUIRE_API_KEY = cfg.flag("ARGUS_REQUIRE_API_KEY", False)
# development = the spec's 开发环境 (no key needed anywhere); production = the rules above.
# Unset: production with a server (non-SQLite) DATABASE_URL; Redis alone never switches it on.
ARGUS_AUTH_MODE = auth_mode(cfg)
if ARGUS_AUTH_MODE not in ("development", "production"):
    raise ImproperlyConfigured(f"ARGUS_AUTH_MODE={ARGUS_AUTH_MODE!r}: expected development or production")

# Rate limits (the spec's 限流规则): class -> (requests, window seconds), per API key, else per IP.
# "websocket" is the spec's 1000 messages/minute: per connection for client messages, and per
# client for handshakes.
ARGUS_RATE_LIMIT_WINDOW = cfg.number("ARGUS_RATE_LIMIT_WINDOW", 60.0, minimum=0.1)
ARGUS_RATE_LIMITS: dict[str, tuple[int, float]] = {
    "realtime": (cfg.integer("ARGUS_RATE_LIMIT_REALTIME", 100, minimum=1), ARGUS_RATE_LIMIT_WINDOW),
    "history": (cfg.integer("ARGUS_RATE_LIMIT_HISTORY", 50, minimum=1), ARGUS_RATE_LIMIT_WINDOW),
    "management": (cfg.integer("ARGUS_RATE_LIMIT_MANAGEMENT", 20, minimum=1), ARGUS_RATE_LIMIT_WINDOW),
    "websocket": (cfg.integer("ARGUS_RATE_LIMIT_WEBSOCKET", 1000, minimum=1), ARGUS_RATE_LIMIT_WINDOW),
}
# Admin logins: this many failures from one address within the window lock that address out
# until the window closes (monitoring/services/logins.py).
ARGUS_ADMIN_LOGIN_ATTEMPTS = cfg.integer("ARGUS_ADMIN_LOGIN_ATTEMPTS", 5, minimum=1)
ARGUS_ADMIN_LOCKOUT_SECONDS = cfg.number("ARGUS_ADMIN_LOCKOUT_SECONDS", 900.0, minimum=1.0)
ARGUS_RATE_LIMITS["admin_login"] = (ARGUS_ADMIN_LOGIN_ATTEMPTS, ARGUS_ADMIN_LOCKOUT_SECONDS)

# Behind a reverse proxy that sets X-Forwarded-For, limit by the client's address, not the proxy's.
# uvicorn resolves the header (its proxy_headers) into the ASGI client only for connections from
# ARGUS_TRUSTED_PROXIES, so no other peer can choose the address that limits and logs use; with
# trust off the header is ignored and the peer is the client.
ARGUS_TRUST_X_FORWARDED_FOR = cfg.flag("ARGUS_TRUST_X_FORWARDED_FOR", False)


def _trusted_proxies() -> list[str]:
    proxies = cfg.items("ARGUS_TRUSTED_PROXIES", ["127.0.0.1"])
    for proxy in proxies:
        try:
            if proxy != "*":
                ipaddress.ip_network(proxy)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"ARGUS_TRUSTED_PROXIES: {proxy!r} is not an IP address or network (e.g. 127.0.0.1,10.0.0.0/8)"
            ) from exc
    return proxies


ARGUS_TRUSTED_PROXIES = _trusted_proxies()

# Browser clients: origins allowed by CORS, and the same origins (plus ALLOWED_HOSTS) on WebSockets.
ARGUS_CORS_ALLOWED_ORIGINS = cfg.items("ARGUS_CORS_ALLOWED_ORIGINS", [])

# Request size limit (JSON bodies and forms).
DATA_UPLOAD_MAX_MEMORY_SIZE = cfg.integer("ARGUS_MAX_REQUEST_BYTES", 1_048_576, minimum=1024)
# The request line plus headers (argus_site/http.py; 431 past it). 64 KiB: well above any browser's
# cookies and an API key, well below what a client could make each connection hold.
ARGUS_MAX_HEADER_BYTES = cfg.integer("ARGUS_MAX_HEADER_BYTES", 65_536, minimum=4096)
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
# A failed CSRF check answers the spec's JSON envelope outside the admin (core/errors.py).
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
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
