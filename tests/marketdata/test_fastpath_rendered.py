"""The fast path's rendered answers (cachemgr/services/rendered.py): a cached /history answer is
serialised once and sent again as bytes, with the per-request fields measured on each request,
and never outlives the values it was built from (their TTL, a replacement, a clear)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync

from cachemgr.services import cache_clear, state
from cachemgr.services.rendered import rendered_figures
from marketdata.selectors.common import directory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

HISTORY = "/api/v1/market_data/history"
QUERY = {"symbols": "000001.SZ,600000.SH", "start_date": "2024-01-01", "end_date": "2024-03-31"}
VARYING = {"timestamp", "response_time_ms", "cache_age_seconds"}


@pytest.fixture
def app(settings: Any) -> Any:
    settings.ROOT_URLCONF = "argus_site.urls"
    settings.ARGUS_CACHE_L1_REFRESH = 60.0  # reuses below are decided by the test, not by the wall clock
    from argus_site.asgi import application

    directory.reload()  # the fast path leaves a reload of the instrument list to Django
    return application


def _fast(app: Any, params: dict[str, str] = QUERY) -> httpx.Response:
    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            return await http.get(HISTORY, params=params)

    response = async_to_sync(get)()
    assert response.status_code == 200 and "x-frame-options" not in response.headers  # answered in the loop
    return response


def _django(params: dict[str, str] = QUERY) -> dict[str, Any]:
    from django.test import Client

    return dict(Client().get(HISTORY, params).json())


def _l1_hits() -> int:
    return int(state.counters.snapshot()["levels"].get("L1", {}).get("hits", 0))


def test_a_cached_answer_is_sent_again_from_its_bytes_with_fresh_fields(app: Any, market_clock: Any) -> None:
    clock = market_clock(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    through_django = _django()  # loads and caches both symbols
    first = _fast(app).json()
    assert rendered_figures()[0] == 1
    hits = _l1_hits()
    clock.advance(7)
    again = _fast(app)
    body = again.json()
    assert list(body) == list(first) == list(through_django)  # the envelope's fields, in the view's order
    assert {k: v for k, v in body.items() if k not in VARYING} == {k: v for k, v in first.items() if k not in VARYING}
    assert body["cache_hit"] is True
    assert body["cache_age_seconds"] == pytest.approx(first["cache_age_seconds"] + 7, abs=0.01)
    assert body["timestamp"] != first["timestamp"] and body["response_time_ms"] >= 0
    assert _l1_hits() == hits + 2  # one hit per symbol's value, counted as the process copy it is
    gzipped = async_to_sync(_gzip)(app)
    assert gzipped.headers["content-encoding"] == "gzip"
    assert {k: v for k, v in gzipped.json().items() if k not in VARYING} == {
        k: v for k, v in body.items() if k not in VARYING
    }


async def _gzip(app: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        return await http.get(HISTORY, params=QUERY, headers={"accept-encoding": "gzip"})


def test_it_is_not_sent_past_the_ttl_of_the_values_it_holds(app: Any, market_clock: Any) -> None:
    clock = market_clock(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    _django()
    _fast(app)
    clock.advance(3600)  # HISTORY_DATA's TTL (300 s) has passed: the cached values are gone too

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            return await http.get(HISTORY, params=QUERY)

    response = async_to_sync(get)()
    assert "x-frame-options" in response.headers  # Django answered: nothing cached is fresh
    assert response.json()["cache_hit"] is False


def test_a_clear_forgets_it_and_a_replaced_value_is_seen_within_the_refresh_bound(app: Any, settings: Any) -> None:
    _django()
    _fast(app)
    cache_clear(cache_type="history_data")
    assert rendered_figures()[0] == 0
    _django()
    _fast(app)
    settings.ARGUS_CACHE_L1_REFRESH = 0.0  # a copy older than the refresh bound is not reused
    hits = _l1_hits()
    _fast(app)
    assert _l1_hits() == hits  # read again from L2 (the embedded locmem), not from the rendered copy
