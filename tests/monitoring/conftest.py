"""Fixtures of the monitoring tests: the spec's limits, stand-in routes, keys, real server processes."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection

from monitoring.models import ApiKey
from monitoring.services.apikeys import api_key_create
from monitoring.services.metrics import metrics_reset
from monitoring.services.ratelimit import rate_limits_reset

ROOT = Path(__file__).resolve().parents[2]
SPEC_LIMITS = {"realtime": (100, 60.0), "history": (50, 60.0), "management": (20, 60.0), "websocket": (1000, 60.0)}


@pytest.fixture
def routes(settings: Any) -> None:
    """Stand-in routes, in the spec's development mode unless a test asks for `production`."""
    settings.ROOT_URLCONF = "tests.monitoring.stub_urls"
    settings.ARGUS_AUTH_MODE = "development"
    settings.ARGUS_REQUIRE_API_KEY = False


@pytest.fixture
def spec_limits(settings: Any, routes: None) -> Iterator[dict[str, tuple[int, float]]]:
    settings.ARGUS_RATE_LIMITS = dict(SPEC_LIMITS)
    rate_limits_reset()
    yield settings.ARGUS_RATE_LIMITS
    rate_limits_reset()


@pytest.fixture
def production(settings: Any, routes: None) -> None:
    settings.ARGUS_AUTH_MODE = "production"


@pytest.fixture
def clean_metrics() -> Iterator[None]:
    metrics_reset()
    yield
    metrics_reset()


@pytest.fixture
def make_key(db: None) -> Callable[..., tuple[ApiKey, str]]:
    def make(*scopes: str, name: str | None = None) -> tuple[ApiKey, str]:
        return api_key_create(name=name or f"key-{uuid.uuid4().hex[:6]}", scopes=scopes)

    return make


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url() -> str:
    """The test database as a URL, so server subprocesses share it."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    return f"postgres://{s['USER']}:{s.get('PASSWORD') or ''}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def wait_until(check: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def argus_server(tmp_path: Path, env: dict[str, str]) -> Iterator[str]:
    """A real `manage.py serve` process on a free port; yields its base URL and always stops it."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ARGUS_", "REDIS_", "DATABASE_URL"))}
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "argus_site.settings.test",
            "ARGUS_TEST_SERVICES": "0",
            "ARGUS_HOST": "127.0.0.1",
            "ARGUS_PORT": str(port),
            "ARGUS_LOG_DIR": str(tmp_path / f"logs-{port}"),
            "ARGUS_EMBEDDED_JOBS": "false",
            "ARGUS_LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url(),
            **env,
        }
    )
    log = (tmp_path / f"server-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--workers", "1"], cwd=ROOT, env=clean, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{base}/health", timeout=2).status_code in (200, 503), 60, f"server on {port}")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


@contextlib.contextmanager
def private_redis(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A throwaway redis-server on `port` (never the shared 6379); killed on exit."""
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        wait_until(lambda: bool(redis.Redis(port=port, socket_connect_timeout=0.5).ping()), 10, "private redis")
        yield process
    finally:
        process.kill()
        process.wait(5)
