"""The ASGI fast path for cached /latest: same envelope as the Django view, Django for everything else."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from cachemgr.keys import latest_quote_key
from cachemgr.services import cache_store
from marketdata.payloads import quote_payload
from marketdata.sources.base import Level, Tick

URL = "http://testserver/api/v1/market_data/latest"


def _tick(symbol: str, price: float) -> Tick:
    book = (Level(price, 100),)
    return Tick(
        symbol=symbol,
        time=datetime(2024, 1, 15, 1, 30, tzinfo=UTC),
        trading_day=date(2024, 1, 15),
        price=price,
        open=12.25,
        high=12.45,
        low=12.20,
        prev_close=12.22,
        volume=1234567,
        turnover=15234567.89,
        bids=book,
        asks=book,
    )


@pytest.fixture
def asgi_client() -> httpx.AsyncClient:
    from argus_site.asgi import application

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://testserver")


async def test_cached_quotes_are_served_with_age_and_provenance(asgi_client: httpx.AsyncClient) -> None:
    quote = quote_payload(_tick("000001.SZ", 12.34), name="平安银行")
    cache_store("LATEST_DATA", latest_quote_key("000001.SZ"), quote)
    async with asgi_client as client:
        response = await client.get(URL, params={"symbols": "000001.sz,000001.SZ"})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["data"] == {"000001.SZ": quote}
    assert body["data"]["000001.SZ"]["change"] == 0.12
    assert body["cache_hit"] is True
    assert body["cache_age_seconds"] >= 0
    assert body["response_time_ms"] >= 0
    assert body["source"] == {"source": "simulated", "simulated": True, "as_of": "2024-01-15T01:30:00.000Z"}


async def test_fields_narrow_the_quote(asgi_client: httpx.AsyncClient) -> None:
    cache_store("LATEST_DATA", latest_quote_key("000001.SZ"), quote_payload(_tick("000001.SZ", 12.34), name="平安银行"))
    async with asgi_client as client:
        response = await client.get(URL, params={"symbols": "000001.SZ", "fields": "price,volume,change"})
    assert response.json()["data"] == {"000001.SZ": {"price": 12.34, "volume": 1234567, "change": 0.12}}


async def test_invalid_requests_fall_through_to_the_one_error_handler(asgi_client: httpx.AsyncClient) -> None:
    cache_store("LATEST_DATA", latest_quote_key("000001.SZ"), quote_payload(_tick("000001.SZ", 12.34), name="平安银行"))
    async with asgi_client as client:
        bad_field = await client.get(URL, params={"symbols": "000001.SZ", "fields": "price,colour"})
        bad_symbol = await client.get(URL, params={"symbols": "000001"})
    assert bad_field.status_code == 400
    assert bad_field.json()["error"]["code"] == "INVALID_PARAMETER"
    assert "valid fields" in bad_field.json()["error"]["details"]
    assert bad_symbol.json()["error"]["code"] == "INVALID_PARAMETER"
