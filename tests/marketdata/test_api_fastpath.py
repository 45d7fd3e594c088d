"""The ASGI fast path for cached /latest: same envelope as the Django view, Django for everything else."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cachemgr.keys import latest_quote_key
from cachemgr.services import cache_store
from marketdata.payloads import quote_payload
from tests.support.ticks import cache_quote, quote_tick

URL = "http://testserver/api/v1/market_data/latest"


@pytest.fixture
def asgi_client() -> httpx.AsyncClient:
    from argus_site.asgi import application

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://testserver")


async def test_cached_quotes_are_served_with_age_and_provenance(asgi_client: httpx.AsyncClient) -> None:
    quote = quote_payload(quote_tick("000001.SZ", 12.34), name="平安银行")
    cache_store("LATEST_DATA", latest_quote_key("000001.SZ"), quote)
    async with asgi_client as client:
        response = await client.get(URL, params={"symbols": "000001.sz,000001.SZ"})
    assert response.status_code == 200
    assert "x-frame-options" not in response.headers
    body = response.json()
    assert body["success"] is True
    assert body["data"] == {"000001.SZ": quote}
    assert body["data"]["000001.SZ"]["change"] == 0.12
    assert body["cache_hit"] is True
    assert body["cache_age_seconds"] >= 0
    assert body["response_time_ms"] >= 0
    assert body["source"] == {"source": "simulated", "simulated": True, "as_of": "2024-01-15T01:30:00.000Z"}


async def test_fields_narrow_the_quote(asgi_client: httpx.AsyncClient) -> None:
    cache_quote("000001.SZ")
    async with asgi_client as client:
        response = await client.get(URL, params={"symbols": "000001.SZ", "fields": "price,volume,change"})
    assert response.json()["data"] == {"000001.SZ": {"price": 12.34, "volume": 1234567, "change": 0.12}}


async def test_invalid_requests_fall_through_to_the_one_error_handler(asgi_client: httpx.AsyncClient) -> None:
    cache_quote("000001.SZ")
    async with asgi_client as client:
        bad_field = await client.get(URL, params={"symbols": "000001.SZ", "fields": "price,colour"})
        bad_symbol = await client.get(URL, params={"symbols": "000001"})
    assert bad_field.status_code == 400
    assert bad_field.json()["error"]["code"] == "INVALID_PARAMETER"
    assert "valid fields" in bad_field.json()["error"]["details"]
    assert bad_symbol.json()["error"]["code"] == "INVALID_PARAMETER"


@pytest.mark.django_db
@pytest.mark.parametrize("anchor", [{}, {"adjust_anchor": "2024-02-01"}])
def test_cached_history_is_served_by_the_fast_path_with_the_views_shape(
    client: Any, reference_data: None, anchor: dict[str, str]
) -> None:
    from asgiref.sync import async_to_sync

    from argus_site.asgi import application
    from marketdata.selectors.common import directory

    query = {"symbols": "000001.SZ", "start_date": "2024-01-01", "end_date": "2024-03-31", "adjust": "pre", **anchor}
    through_django = client.get("/api/v1/market_data/history", query).json()
    assert through_django["cache_hit"] is False

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as asgi:
            return await asgi.get("/api/v1/market_data/history", params=query)

    # The per-process instrument list reloads from the database every minute; the fast path leaves
    # such a reload to Django, so make sure this process's copy is fresh for a deterministic test.
    directory.reload()
    response = async_to_sync(fetch)()
    assert response.status_code == 200
    assert "x-frame-options" not in response.headers  # Django's middleware did not run: the fast path answered
    body = response.json()
    assert body["cache_hit"] is True
    for name in ("data", "total_records", "period", "adjustment", "source"):
        assert body[name] == through_django[name]
    assert set(body) == set(through_django)
