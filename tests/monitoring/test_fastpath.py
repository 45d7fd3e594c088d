"""The /latest fast path (answered outside Django) is limited, counted and logged like everything else."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from cachemgr.keys import latest_quote_key
from cachemgr.services import cache_store
from marketdata.payloads import quote_payload
from marketdata.sources.base import Level, Tick
from monitoring.services.metrics import metrics_snapshot

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/market_data/latest"


def _cache_quote(symbol: str) -> None:
    book = (Level(12.34, 100),)
    tick = Tick(
        symbol=symbol,
        time=datetime(2024, 1, 15, 1, 30, tzinfo=UTC),
        trading_day=date(2024, 1, 15),
        price=12.34,
        open=12.25,
        high=12.45,
        low=12.20,
        prev_close=12.22,
        volume=1234567,
        turnover=15234567.89,
        bids=book,
        asks=book,
    )
    cache_store("LATEST_DATA", latest_quote_key(symbol), quote_payload(tick, name="平安银行"))


@pytest.fixture
def asgi_client(settings: Any, spec_limits: Any, clean_metrics: None) -> httpx.AsyncClient:
    settings.ROOT_URLCONF = "argus_site.urls"
    from argus_site.asgi import application

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://testserver")


async def test_fast_path_is_limited_and_counted(asgi_client: httpx.AsyncClient, spec_limits: Any) -> None:
    _cache_quote("000001.SZ")
    spec_limits["realtime"] = (3, 60.0)
    async with asgi_client as client:
        answers = [await client.get(URL, params={"symbols": "000001.SZ"}) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert answers[0].json()["cache_hit"] is True  # answered by the fast path
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED" and "Retry-After" in refused.headers
    assert metrics_snapshot().requests_total == 4


async def test_fallback_to_django_is_charged_and_counted_once(asgi_client: httpx.AsyncClient, spec_limits: Any) -> None:
    spec_limits["realtime"] = (5, 60.0)
    async with asgi_client as client:
        bad = await client.get(URL, params={"symbols": "not-a-symbol"})  # the fast path hands it to Django
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_PARAMETER"
    assert bad.headers["X-RateLimit-Remaining"] == "4"
    assert metrics_snapshot().requests_total == 1
