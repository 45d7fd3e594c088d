"""The edge's local rate-limit counts hold a limit across two real server processes sharing the real
Redis, within the documented tolerance (monitoring/services/ratelimit.py, SYNC_INTERVAL), and every
request reaches the shared counter."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest
import redis

from tests.monitoring.conftest import argus_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("services", "reference_data"),
]

LIMIT = 40
# Requests alternate between the processes one at a time, so each decides from a shared count at
# most one sync interval (10 ms) plus a round trip old: a few requests of slack, not a second window.
TOLERANCE = 6
LATEST = "/api/v1/market_data/latest?symbols=000001.SZ"


def test_a_limit_holds_across_two_processes(tmp_path: Path, settings: object) -> None:
    namespace = f"argus-test-limits-{uuid.uuid4().hex[:8]}"
    redis_url = "redis://127.0.0.1:6379/0"
    env = {
        "ARGUS_TEST_SERVICES": "1",
        "REDIS_URL": redis_url,
        "ARGUS_NAMESPACE": namespace,
        "ARGUS_RATE_LIMIT_REALTIME": str(LIMIT),
        "ARGUS_RATE_LIMIT_WINDOW": "120",
    }
    direct = redis.Redis.from_url(redis_url)
    try:
        with argus_server(tmp_path, env) as one, argus_server(tmp_path, env) as two:
            with httpx.Client(timeout=10) as http:
                for base in (one, two):  # warm each process (its first request loads the calendar)
                    assert http.get(f"{base}/health").status_code in (200, 503)
                statuses = [http.get(f"{(one, two)[n % 2]}{LATEST}").status_code for n in range(2 * LIMIT)]
            admitted = statuses.count(200)
            assert set(statuses) <= {200, 429}, statuses
            assert LIMIT <= admitted <= LIMIT + TOLERANCE, statuses
            assert statuses[-10:] == [429] * 10  # once both know, both refuse
            # Both processes' counts reach the one shared counter (after a sync interval or so).
            keys = list(direct.scan_iter(match=f"*{namespace}*ratelimit*realtime*", count=1000))
            assert len(keys) == 1, keys
            deadline = time.monotonic() + 5
            while int(direct.get(keys[0]) or 0) < 2 * LIMIT and time.monotonic() < deadline:
                time.sleep(0.05)
            assert int(direct.get(keys[0]) or 0) == 2 * LIMIT
    finally:
        for key in direct.scan_iter(match=f"*{namespace}*", count=1000):
            direct.delete(key)
