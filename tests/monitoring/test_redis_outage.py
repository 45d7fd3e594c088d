"""While Redis is down, limits let requests through and metric counts wait for it to return."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from monitoring.services.metrics import metrics_flush, metrics_reset, metrics_snapshot, request_record
from monitoring.services.ratelimit import rate_limit_hit
from tests.monitoring.conftest import free_port, private_redis


@pytest.fixture
def private_redis_settings(settings: Any) -> Any:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    settings.USE_REDIS = True
    settings.ARGUS_NAMESPACE = "argus-test-outage"
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    settings.ARGUS_RATE_LIMITS = {"realtime": (2, 60.0)}
    return port


def test_limits_fail_open_and_counts_survive_an_outage(private_redis_settings: int) -> None:
    port = private_redis_settings
    with private_redis(port) as server:
        metrics_reset()  # the restarted server starts empty: count only this test's requests
        decisions = [rate_limit_hit("ip:10.1.1.1", "realtime") for _ in range(3)]
        assert [d.allowed for d in decisions if d is not None] == [True, True, False]
        server.kill()
        server.wait(5)
        assert rate_limit_hit("ip:10.1.1.1", "realtime") is None  # let through, warning logged
        for _ in range(5):
            request_record(endpoint="/api/v1/market_data/latest", status=200, duration_ms=2.0)
        metrics_flush()  # fails; the counts stay pending
    with private_redis(port):
        assert metrics_snapshot().requests_total == 5
        decision = rate_limit_hit("ip:10.1.1.1", "realtime")
        assert decision is not None and decision.allowed  # a new Redis: a new window
