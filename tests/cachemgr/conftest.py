"""Cache fixtures: every test starts with empty levels and zero counters in this process and in Redis."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches

from cachemgr import keys
from cachemgr.services import backends, rulebook, state, sync
from tests.support.redis_server import PrivateRedis, require_redis_server

__all__ = ["PrivateRedis"]


def _forget_processes() -> None:
    if not settings.USE_REDIS:
        return
    with contextlib.suppress(Exception):
        client = backends._redis()
        for name in client.scan_iter(match=keys.cache_process_pattern()):
            client.delete(name)


@pytest.fixture(autouse=True)
def fresh_cache(django_db_blocker: Any) -> Iterator[None]:
    state.process_reset()
    rulebook.mark_stale()
    backends.outage.down_since = None
    backends.l3_outage.down_since = None
    _forget_processes()
    with django_db_blocker.unblock(), contextlib.suppress(Exception):
        caches["l3"].clear()
    with contextlib.suppress(Exception):
        caches["default"].delete(keys.cache_optimize_window_key())
    yield
    state.process_reset()
    rulebook.mark_stale()


@pytest.fixture
def private_redis(settings: Any) -> Iterator[PrivateRedis]:
    """A private Redis as L2 (never the shared 6379), with this process's sync thread pointed at it."""
    require_redis_server()
    server = PrivateRedis()
    server.start()
    settings.USE_REDIS = True
    settings.ARGUS_CACHE_L2_RETRY = 0.2
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": settings.ARGUS_NAMESPACE,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    sync.stop()  # the next cache call starts a sync thread against this Redis
    try:
        yield server
    finally:
        sync.stop()
        server.stop()
        backends.outage.down_since = None
        time.sleep(0.1)
