"""Cache fixtures: every test starts with empty levels and zero counters in this process and in Redis."""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches

from cachemgr import keys
from cachemgr.services import backends, rulebook, state, sync


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateRedis:
    """A redis-server of our own on a free port, which a test may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        for _ in range(100):
            with contextlib.suppress(redis.RedisError):
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            time.sleep(0.05)
        raise RuntimeError(f"private redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def pause(self) -> None:
        """SIGSTOP: connections are accepted by the kernel but nothing answers (a hung Redis)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture
def private_redis(settings: Any) -> Iterator[PrivateRedis]:
    """A private Redis as L2 (never the shared 6379), with this process's sync thread pointed at it."""
    import os

    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (CI is set, so this test must run)")
        pytest.skip("redis-server is not installed")
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
