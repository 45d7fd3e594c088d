"""While Redis is down, limits let requests through and metric counts wait for it to return."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from cachemgr.keys import redis_key
from cachemgr.services.backends import outage
from core.redis import ASYNC_TIMEOUT
from monitoring.services.metrics import metrics_flush, metrics_reset, metrics_snapshot, request_record
from monitoring.services.ratelimit import rate_limit_count, rate_limit_hit, rate_limits_local_reset, rate_limits_sync
from tests.support.net import free_port
from tests.support.redis_server import private_redis, require_redis_server


@pytest.fixture
def private_redis_settings(settings: Any) -> Iterator[int]:
    require_redis_server()
    port = free_port()
    settings.USE_REDIS = True
    settings.ARGUS_CACHE_L2_RETRY = 0.1  # the breaker lets a probe through 0.1 s after a failure
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
    rate_limits_local_reset()  # the private Redis starts empty; so do this process's own counts
    yield port
    outage.down_since = None


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
        assert outage.down_since is not None  # the breaker opened: requests skip Redis at once
    with private_redis(port):
        assert metrics_snapshot().requests_total == 5
        time.sleep(0.15)  # past ARGUS_CACHE_L2_RETRY: the next call probes Redis
        decision = rate_limit_hit("ip:10.1.1.1", "realtime")
        assert decision is not None and decision.allowed  # a new Redis: a new window
        assert outage.down_since is None


async def test_the_event_loops_limit_never_waits_for_a_hung_redis(private_redis_settings: int) -> None:
    """SIGSTOP: requests are still counted and limited locally at once, the background sync gives
    up within ASYNC_TIMEOUT without blocking the loop, and the counts reach Redis once it is back."""
    import redis

    with private_redis(private_redis_settings) as server:
        direct = redis.Redis(port=private_redis_settings, socket_timeout=2)
        key = redis_key("ratelimit", "realtime", "ip:10.2.2.2")
        first = rate_limit_count("ip:10.2.2.2", "realtime")
        assert first is not None and first.allowed and first.remaining == 1
        await rate_limits_sync()
        assert int(direct.get(key) or 0) == 1  # reconciled with the shared counter
        server.send_signal(signal.SIGSTOP)
        try:
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            running = asyncio.create_task(ticker())
            started = time.monotonic()
            second = rate_limit_count("ip:10.2.2.2", "realtime")
            third = rate_limit_count("ip:10.2.2.2", "realtime")
            assert time.monotonic() - started < 0.05  # no Redis call on the request
            assert second is not None and second.allowed and second.remaining == 0
            assert third is not None and not third.allowed  # the limit holds while Redis hangs
            # The background sync (every SYNC_INTERVAL) gives up after ASYNC_TIMEOUT and opens the breaker.
            deadline = time.monotonic() + ASYNC_TIMEOUT + 3
            while outage.down_since is None and time.monotonic() < deadline:  # noqa: ASYNC110  # a flag of ours
                await asyncio.sleep(0.05)
            running.cancel()
            assert outage.down_since is not None
            assert ticks >= 20  # the loop ran other work meanwhile
        finally:
            server.send_signal(signal.SIGCONT)
        await asyncio.sleep(0.15)
        probed = await asyncio.to_thread(rate_limit_hit, "ip:10.2.2.2", "realtime")
        assert probed is not None  # a thread's probe closes the breaker
        assert outage.down_since is None
        await rate_limits_sync()
        # Every request reached the shared counter (a sync that timed out may count twice: stricter).
        assert int(direct.get(key) or 0) >= 4
