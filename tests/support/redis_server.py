"""A private redis-server on a free loopback port, which a test may kill, hang, restart empty.

Never the shared 6379: tests that break Redis break only their own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis

from tests.support.net import free_port


def require_redis_server() -> None:
    """Fail under CI (these tests must run there), skip elsewhere, when redis-server is missing."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (CI is set, so this test must run)")
        pytest.skip("redis-server is not installed")


class PrivateRedis:
    """`start()`, `stop()` (SIGKILL: no persistence, so it comes back empty), `pause()`/`resume()`."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        # Under the faked-clock stage (scripts/test-faketime) redis-server must run unfaked: libfaketime
        # breaks its allocator's start-up (recursive clock_gettime), and Redis needs no market time.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"private redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGCONT)  # a paused server must be able to die
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def pause(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)


@contextlib.contextmanager
def private_redis(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A throwaway redis-server on `port` (never the shared 6379); its process, killed on exit."""
    require_redis_server()
    server = PrivateRedis(port)
    server.start()
    try:
        assert server.process is not None
        yield server.process
    finally:
        server.stop()
