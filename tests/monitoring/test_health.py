"""GET /health: the spec's shape from real probes; degraded while Redis is down, healthy again after."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.cache import cache
from django.test import Client

from cachemgr.keys import feed_status_key
from core import clock
from tests.monitoring.conftest import argus_server, free_port, private_redis, wait_until
from tests.support.redis_server import require_redis_server

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


@pytest.fixture(autouse=True)
def _inside_the_calendar(market_clock: Any) -> None:
    """In-process requests read a day well inside the calendar's coverage, so its horizon stays healthy
    (tests/marketdata/test_calendar_layers.py covers the horizon itself)."""
    market_clock(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))


def _healthy_apart_from_calendar(body: dict[str, Any]) -> bool:
    """A server reads the real (or faked) clock, so its calendar may be near its end: everything else healthy."""
    details = body["details"]
    others = {name: d.get("status") for name, d in details.items() if name != "calendar" and "status" in d}
    calendar = details["calendar"]["status"]
    expected = "healthy" if calendar == "healthy" else "degraded"
    return bool(
        set(body["services"].values()) == {"healthy"}
        and all(s in ("healthy", "unknown") for s in others.values())
        and body["status"] == expected
    )


def test_health_has_the_spec_shape(client: Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["version"] == "1.0.0"
    assert isinstance(body["uptime_seconds"], int) and body["uptime_seconds"] >= 0
    assert body["timestamp"].endswith("Z")
    assert body["services"] == {"database": "healthy", "cache": "healthy", "xtquant": "healthy"}
    assert body["details"]["xtquant"]["detail"].startswith("simulated")
    assert body["details"]["feed"]["status"] in ("unknown", "healthy")  # no feed runs in tests
    assert client.post("/health").json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_a_stale_feed_degrades_health(client: Client) -> None:
    cache.set(
        feed_status_key(), {"last_poll": clock.timestamp() - 3600, "source": "simulated", "ticks": 10, "error": None}
    )
    body = client.get("/health").json()
    assert body["status"] == "degraded"
    assert body["details"]["feed"]["status"] == "degraded"
    cache.set(feed_status_key(), {"last_poll": clock.timestamp(), "source": "simulated", "ticks": 10, "error": None})
    body = client.get("/health").json()
    assert (body["status"], body["details"]["feed"]["status"]) == ("healthy", "healthy")


def _health(base: str) -> dict[str, object]:
    response = httpx.get(f"{base}/health", timeout=10)
    assert response.status_code == 200  # degraded still serves
    return dict(response.json())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_health_follows_a_private_redis_going_down_and_up(tmp_path: Path) -> None:
    require_redis_server()
    port = free_port()
    env = {"REDIS_URL": f"redis://127.0.0.1:{port}/0", "ARGUS_NAMESPACE": "argus-test-health"}
    with private_redis(port) as first_redis, argus_server(tmp_path, env) as base:
        assert _healthy_apart_from_calendar(_health(base))
        first_redis.kill()
        first_redis.wait(5)
        down = _health(base)
        assert down["status"] == "degraded"
        services = down["services"]
        assert isinstance(services, dict)
        assert (services["database"], services["xtquant"]) == ("healthy", "healthy")
        assert services["cache"] in ("degraded", "unhealthy")
        with private_redis(port):
            wait_until(lambda: _healthy_apart_from_calendar(_health(base)), what="health back to healthy")
            assert _health(base)["services"]["cache"] == "healthy"
