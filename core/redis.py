"""One raw Redis client per process and Redis URL (the L2 cache's), shared by every caller, and
one asyncio client per event loop for code that runs in the loop (no blocking I/O there).

Django's `caches[...]` is context-local: under ASGI every request builds its own cache object and so
its own redis-py client. Anything that keeps a client (or an object holding one, like a registered
Lua `Script`) per request therefore keeps every request's client alive: the production workers grew
by ~17 KB a request that way. Callers that want a raw client take this one instead; it is
thread-safe (redis-py clients are) and its connection pool is bounded by ARGUS_REDIS_MAX_CONNECTIONS.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

# Imported here, once, not on first use: the cache's sync thread and a request importing redis-py
# at the same moment tripped the import system's deadlock detection (_DeadlockError on
# redis.auth.token), which the breaker took for an outage.
import redis
import redis.asyncio as aredis
from django.conf import settings

# A command that does not answer within this many seconds fails (Redis hung), rather than holding
# a worker thread or the event loop indefinitely; the callers' outage breakers take it from there.
SOCKET_TIMEOUT = 1.0
# The same for the event loop's client, shorter: its callers (the fast path's rate limit) let the
# request through when Redis does not answer, so a hung Redis costs them this long, once.
ASYNC_TIMEOUT = 0.5

_lock = threading.Lock()
_clients: dict[str, Any] = {}
_async: dict[asyncio.AbstractEventLoop, tuple[str, Any]] = {}  # per event loop: (url, client)


def shared_redis() -> Any | None:
    """The process's raw client for REDIS_URL (bytes replies), or None when Redis is not configured."""
    if not settings.USE_REDIS:
        return None
    url = _l2_url()
    client = _clients.get(url)
    if client is None:
        with _lock:
            client = _clients.get(url)
            if client is None:
                client = _clients[url] = redis.Redis.from_url(
                    url,
                    max_connections=settings.ARGUS_REDIS_MAX_CONNECTIONS,
                    socket_connect_timeout=SOCKET_TIMEOUT,
                    socket_timeout=SOCKET_TIMEOUT,
                    health_check_interval=30,
                )
    return client


def _l2_url() -> str:
    """The Redis behind the L2 cache ("default"): REDIS_URL in production, whatever a test points L2 at."""
    l2 = settings.CACHES["default"]
    if "redis" in l2["BACKEND"].lower():
        location = l2["LOCATION"]
        return str(location[0] if isinstance(location, list | tuple) else location)
    return str(settings.REDIS_URL)


def async_redis() -> Any | None:
    """The running event loop's redis.asyncio client for the same Redis, or None without Redis.

    An asyncio client belongs to the loop it first ran in, so there is one per loop (a server
    process has one loop). Commands, connects and waits for a pooled connection each give up after
    ASYNC_TIMEOUT.
    """
    if not settings.USE_REDIS:
        return None
    loop = asyncio.get_running_loop()
    url = _l2_url()
    current = _async.get(loop)
    if current is not None and current[0] == url:
        return current[1]
    pool = aredis.BlockingConnectionPool.from_url(
        url,
        max_connections=settings.ARGUS_REDIS_MAX_CONNECTIONS,
        timeout=ASYNC_TIMEOUT,
        socket_connect_timeout=ASYNC_TIMEOUT,
        socket_timeout=ASYNC_TIMEOUT,
    )
    client = aredis.Redis(connection_pool=pool)
    with _lock:
        for closed in [other for other in _async if other.is_closed()]:  # loops that are gone (tests)
            del _async[closed]
        _async[loop] = (url, client)
    return client


def redis_client() -> Any:
    """`shared_redis()` where Redis is known to be configured (raises otherwise)."""
    client = shared_redis()
    if client is None:
        raise RuntimeError("Redis is not configured (set REDIS_URL)")
    return client
