"""GET /health: the spec's shape from real probes; degraded while Redis is down, healthy again after."""

from __future__ import annotations

import time
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


def test_no_feed_though_symbols_are_followed_degrades_health(client: Client) -> None:
    """The guide's configuration without Celery once said healthy while nothing was pushed."""
    from streaming import get_store, reset_streaming

    reset_streaming()
    cache.delete(feed_status_key())
    assert client.get("/health").json()["details"]["feed"]["status"] != "degraded"  # nothing followed: none due
    from asgiref.sync import async_to_sync

    async_to_sync(get_store().touch)(["000001.SZ"])  # what a web process does for its subscribed symbols
    try:
        body = client.get("/health").json()
        assert (body["status"], body["details"]["feed"]["status"]) == ("degraded", "degraded")
        assert "1 subscribed symbol" in body["details"]["feed"]["detail"]
        assert "manage.py feed" in body["details"]["feed"]["detail"]
    finally:
        reset_streaming()


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


@pytest.mark.django_db(transaction=True)
def test_concurrent_health_requests_share_one_run_of_the_probes() -> None:
    """20 simultaneous /health once ran 20 sets of probes (20 database queries, 20 source checks)."""
    import threading

    from django.db import connections

    from monitoring.services.health import Probe, health_report, register_probe, unregister_probe

    runs = []

    def slow_probe() -> Probe:
        runs.append(threading.get_ident())
        time.sleep(0.3)  # a probe that takes a while, as a busy database does
        return Probe("healthy", "counted", 0.0)

    register_probe("counted", slow_probe, service=False)
    bodies: list[dict[str, object]] = []

    def one() -> None:
        try:
            bodies.append(health_report()[0])
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=one) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        unregister_probe("counted")
    assert len(bodies) == 20 and all(body["details"]["counted"]["detail"] == "counted" for body in bodies)  # type: ignore[index]
    assert len(runs) <= 3, f"{len(runs)} runs of the probes for 20 concurrent requests"
