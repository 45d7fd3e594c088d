"""Reads while L2 raises on every call (Redis down): served from other levels, never a 500.

With Redis down, 568 of 568 /latest and /history requests answered 500: the calendar read its
version with a bare `cache.get` outside the L2 outage breaker. Here L2 is a cache backend that
raises like django-redis does when Redis refuses connections, in either pass.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from django.core.cache.backends.base import BaseCache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cachemgr.services import backends, sync
from marketdata.calendar import db_calendar

pytestmark = pytest.mark.django_db

HISTORY = {"symbols": "000001.SZ", "start_date": "2024-01-01", "end_date": "2024-03-31"}


class FailingCache(BaseCache):
    """Every call raises, as django-redis does with Redis down; each call is recorded with where it ran."""

    calls: list[tuple[str, bool]] = []

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            in_loop = True
        except RuntimeError:
            in_loop = False
        FailingCache.calls.append((threading.current_thread().name, in_loop))
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    get = set = add = delete = incr = get_many = set_many = has_key = clear = touch = _fail


@pytest.fixture
def only_this_l2(settings: Any) -> Iterator[None]:
    """No Redis besides L2: in the services pass the cache's sync thread would reach the real one
    and report L2 back, so the breaker would not see only the L2 under test."""
    settings.USE_REDIS = False
    sync.stop()
    for thread in threading.enumerate():  # a sync thread still running would report Redis back
        if thread.name == "argus-cache-sync":
            thread.join(10)
    yield
    backends.outage.down_since = None
    sync.stop()  # the next cache call starts a sync thread on the restored settings


@pytest.fixture
def l2_down(settings: Any, only_this_l2: None) -> None:
    """L2 raising on every call; the breaker may probe it at once (no retry delay to wait out)."""
    FailingCache.calls = []
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": f"{__name__}.FailingCache"}}
    settings.ARGUS_CACHE_L2_RETRY = 0.1


def test_the_calendar_keeps_its_copy_while_l2_raises_and_reloads_when_it_answers(
    reference_data: None, settings: Any, monkeypatch: pytest.MonkeyPatch, only_this_l2: None
) -> None:
    monkeypatch.setattr("marketdata.calendar._RECHECK_SECONDS", 0.0)
    assert db_calendar.is_trading_day("SH", date(2024, 1, 2))  # loaded, version read from L2
    caches_before = settings.CACHES
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": f"{__name__}.FailingCache"}}
    with CaptureQueriesContext(connection) as kept:
        assert db_calendar.is_trading_day("SH", date(2024, 1, 2))
        assert not db_calendar.is_trading_day("SH", date(2024, 2, 12))  # Spring Festival
    assert len(kept) == 0  # the copy it had, no reload
    assert backends.outage.down_since is not None  # the read went through the breaker, which opened
    settings.CACHES = caches_before
    backends.outage._retry_at = 0.0  # the next read probes L2 at once
    with CaptureQueriesContext(connection) as reloaded:
        assert db_calendar.is_trading_day("SH", date(2024, 1, 2))
    assert backends.outage.down_since is None
    # A change made while L2 was down could not be announced: the calendar is read again.
    assert len(reloaded) > 0


def test_reads_answer_200_from_the_source_while_l2_raises(client: Any, reference_data: None, l2_down: None) -> None:
    latest = client.get("/api/v1/market_data/latest", {"symbols": "000001.SZ,600000.SH"})
    history = client.get("/api/v1/market_data/history", HISTORY)
    dates = client.get("/api/v1/market_data/trading_dates", {"start_date": "2024-01-01", "end_date": "2024-01-31"})
    assert (latest.status_code, history.status_code, dates.status_code) == (200, 200, 200)
    assert set(latest.json()["data"]) == {"000001.SZ", "600000.SH"}
    assert history.json()["data"]["000001.SZ"][0]["date"] == "2024-01-02"
    assert history.json()["cache_hit"] is False
    health = client.get("/health").json()
    assert health["status"] == "degraded" and health["services"]["cache"] == "degraded"
    assert "unreachable" in health["details"]["cache"]["detail"]
    assert FailingCache.calls  # L2 was really tried (and is probed again every ARGUS_CACHE_L2_RETRY)
    # Each answer says that it was served degraded, and what is down.
    latest_again = client.get("/api/v1/market_data/latest", {"symbols": "000001.SZ"}).json()
    history_again = client.get("/api/v1/market_data/history", HISTORY).json()
    for body in (latest_again, history_again):
        assert "L2 cache" in body["degraded"] and "unreachable" in body["degraded"], body
    assert history_again["cache_hit"] is False  # history lives in L2/L3 only: read from the source again


def test_no_degraded_note_while_every_level_answers(client: Any, reference_data: None) -> None:
    assert "degraded" not in client.get("/api/v1/market_data/latest", {"symbols": "000001.SZ"}).json()


@pytest.mark.django_db(transaction=True)  # Django closes its connections after each ASGI request
def test_while_l2_is_down_the_event_loop_never_calls_it(reference_data: None, l2_down: None) -> None:
    """The fast path skips L2 while its breaker is open; probing it is left to Django's threads."""
    from asgiref.sync import async_to_sync

    from argus_site.asgi import application
    from marketdata.selectors.common import directory

    directory.reload()
    backends.outage.failed(ConnectionError("Connection refused"))

    async def fetch() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as asgi:
            answers = []
            for _ in range(3):
                answers.append(await asgi.get("/api/v1/market_data/history", params=HISTORY))
                answers.append(await asgi.get("/api/v1/market_data/latest", params={"symbols": "000001.SZ"}))
                await asyncio.sleep(0.15)  # past ARGUS_CACHE_L2_RETRY: a probe is due each time
            return answers

    answers = async_to_sync(fetch)()
    assert [a.status_code for a in answers] == [200] * 6
    assert FailingCache.calls, "Django's threads probe L2"
    assert [call for call in FailingCache.calls if call[1]] == [], "L2 was called from the event loop"


def test_health_closes_an_l3_outage_once_the_table_answers(client: Any, settings: Any, reference_data: None) -> None:
    """A worker that read nothing from L3 after PostgreSQL came back kept its outage flag, and /health
    flapped for 14+ minutes; /health now probes the table itself."""
    settings.ARGUS_CACHE_L2_RETRY = 0.0
    backends.l3_outage.failed(ConnectionError("connection refused"))  # as during the database outage
    try:
        body = client.get("/health").json()
        assert body["services"]["cache"] == "healthy", body["details"]["cache"]
        assert backends.l3_outage.down_since is None
    finally:
        backends.l3_outage.down_since = None
