"""Behaviour with a real Redis of our own: outages and recovery, and figures across processes."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from cachemgr.keys import latest_quote_key
from cachemgr.services import cache_fetch, cache_health, cache_store, state

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent.parent


def _wait_for(condition: Any, seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_reads_survive_a_redis_outage_and_recover(private_redis: Any, settings: Any, caplog: Any) -> None:
    settings.ARGUS_CACHE_L1_REFRESH = 60.0
    key = latest_quote_key("000001.SZ")
    assert cache_fetch("LATEST_DATA", key, lambda: {"price": 1}).hit is False
    assert cache_health().status == "healthy"

    caplog.set_level(logging.INFO, logger="argus.cache")
    private_redis.stop()
    results = [cache_fetch("LATEST_DATA", latest_quote_key(f"60000{i % 5}.SH"), lambda i=i: i) for i in range(50)]
    assert [r.value for r in results[:5]] == [0, 1, 2, 3, 4]
    assert cache_fetch("LATEST_DATA", key, lambda: {"price": 2}).level == "L1"  # L1 keeps serving
    health = cache_health()
    assert health.status == "degraded" and "L1" in health.detail
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "unreachable" in errors[0].getMessage()

    private_redis.start()
    _wait_for(lambda: cache_health().status == "healthy")
    cache_store("LATEST_DATA", latest_quote_key("000002.SZ"), {"price": 3})
    state.l1.clear()
    assert cache_fetch("LATEST_DATA", latest_quote_key("000002.SZ"), lambda: None).level == "L2"
    recovered = [r for r in caplog.records if "is back" in r.getMessage()]
    assert len(recovered) == 1
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1


CHILD = """
import sys, django
django.setup()
from cachemgr.keys import latest_quote_key
from cachemgr.services import cache_fetch
for _ in range(4):
    cache_fetch("LATEST_DATA", latest_quote_key("600000.SH"), lambda: {"price": 8.8})
print("ready", flush=True)
sys.stdin.readline()
"""


def test_stats_and_clear_cover_every_process(private_redis: Any) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGUS_TEST_SERVICES", "DATABASE_URL"))}
    env.update({"DJANGO_SETTINGS_MODULE": "argus_site.settings.test", "REDIS_URL": private_redis.url})
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        cache_fetch("LATEST_DATA", latest_quote_key("000001.SZ"), lambda: {"price": 1})  # this process: 1 miss
        api = APIClient()
        # The child publishes its counters every ARGUS_CACHE_SYNC_INTERVAL.
        data = _wait_for(lambda: (d := api.get("/api/v1/cache/stats").json()["data"])["requests"] == 5 and d)
        assert data["processes"] == 2 and data["hit_rate"] == 0.6  # the child's 3 L1 hits of 5 reads
        assert data["cache_levels"]["L1"]["keys"] == 2  # one entry in each process's L1
        assert data["cache_levels"]["L2"]["keys"] == 2

        body = api.delete("/api/v1/cache/clear?cache_type=market_data&level=L1").json()
        assert body["cleared_keys"] == 2 and body["message"] == "缓存清理完成"
        _wait_for(lambda: api.get("/api/v1/cache/stats").json()["data"]["cache_levels"]["L1"]["keys"] == 0)
    finally:
        child.kill()
        child.wait(timeout=10)
