"""/latest on the fast path from the quotes the feed serialised once per tick: the same answer as
Django's view, 100 symbols in one batched read, field filters, and the view's own validation."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync

from cachemgr.services import cache_clear
from cachemgr.services.quotebytes import quote_bytes_clear
from cachemgr.services.state import local_clear
from marketdata.fastpath import ROUTES
from marketdata.models import Instrument
from streaming import reset_streaming
from streaming.services.ticks import ticks_ingest
from tests.support.ticks import make_tick

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

LATEST = "/api/v1/market_data/latest"


@pytest.fixture
def app(settings: Any) -> Any:
    settings.ROOT_URLCONF = "argus_site.urls"
    reset_streaming()
    quote_bytes_clear(shared=True)
    from argus_site.asgi import application

    yield application
    quote_bytes_clear(shared=True)


def _get(app: Any, params: dict[str, str]) -> httpx.Response:
    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            return await http.get(LATEST, params=params)

    return async_to_sync(get)()


def _django(params: dict[str, str]) -> dict[str, Any]:
    from django.test import Client

    return dict(Client().get(LATEST, params).json())


def _symbols(count: int) -> list[str]:
    return list(Instrument.objects.stocks().order_by("symbol").values_list("symbol", flat=True)[:count])


def _fresh(symbol: str) -> Any:
    """A tick the ingest has not seen (it drops a tick equal to the last one it stored)."""
    return make_tick(symbol, 1, price=round(random.uniform(5, 50), 2))


def _same_answer(fast: dict[str, Any], django: dict[str, Any]) -> None:
    varying = {"timestamp", "response_time_ms", "cache_age_seconds"}
    assert {k: v for k, v in fast.items() if k not in varying} == {k: v for k, v in django.items() if k not in varying}


def test_latest_is_assembled_from_the_feeds_bytes_like_the_view(app: Any, monkeypatch: Any) -> None:
    symbols = _symbols(100)
    ticks_ingest([_fresh(symbol) for symbol in symbols])
    local_clear(None)  # with Redis the answer must come from the shared hash, in one read
    calls: list[int] = []
    import redis.asyncio.client as aclient

    original = aclient.Redis.hmget

    async def counted(self: Any, name: Any, keys: Any, *args: Any) -> Any:
        calls.append(len(keys))
        return await original(self, name, keys, *args)

    monkeypatch.setattr(aclient.Redis, "hmget", counted)
    params = {"symbols": ",".join(symbols)}
    response = _get(app, params)
    assert response.status_code == 200 and "x-frame-options" not in response.headers  # the fast path
    body = response.json()
    assert list(body["data"]) == symbols and body["cache_hit"] is True and body["response_time_ms"] >= 0
    from django.conf import settings

    assert calls == ([100] if settings.USE_REDIS else [])  # one batched read for 100 symbols
    _same_answer(body, _django(params))
    filtered = (_get(app, {"symbols": symbols[0], "fields": "price,volume"})).json()
    quote = body["data"][symbols[0]]
    assert filtered["data"] == {symbols[0]: {"price": quote["price"], "volume": quote["volume"]}}


def test_a_cleared_cache_is_not_served_from_the_bytes(app: Any) -> None:
    symbol = _symbols(1)[0]
    ticks_ingest([_fresh(symbol)])
    assert (_get(app, {"symbols": symbol})).json()["cache_hit"] is True
    cache_clear(cache_type="market_data")
    response = _get(app, {"symbols": symbol})
    assert response.status_code == 200 and response.json()["cache_hit"] is False  # Django loaded it afresh


def test_invalid_parameters_are_the_views_errors(app: Any) -> None:
    symbol = _symbols(1)[0]
    ticks_ingest([_fresh(symbol)])
    for params in ({"symbols": symbol, "fields": "nope"}, {"symbols": "bad"}):
        response = _get(app, params)
        assert response.status_code == 400, params
        assert response.json() == {**_django(params), "timestamp": response.json()["timestamp"]}


def test_the_fast_path_honours_every_parameter_of_the_views_serializers() -> None:
    """A parameter added to a view's serializer must be handled here too, or this fails (never
    silently ignored by the fast path)."""
    for path, route in ROUTES.items():
        assert route.handled == frozenset(route.serializer().fields), path


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/api/v1/market_data/full", {"depth": "10", "fields": "basic,orderbook"}),
        ("/api/v1/market_data/instrument_detail", {}),
    ],
    ids=["full", "instrument_detail"],
)
def test_full_and_instrument_detail_join_the_fast_path(app: Any, path: str, extra: dict[str, str]) -> None:
    from django.test import Client

    params = {"symbols": ",".join(_symbols(3)), **extra}
    first = Client().get(path, params).json()  # Django loads and caches
    local_clear(None)  # the fast path reads L2 ahead itself

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            return await http.get(path, params=params)

    response = async_to_sync(get)()
    assert response.status_code == 200 and "x-frame-options" not in response.headers  # answered in the loop
    assert response.json()["cache_hit"] is True
    _same_answer(response.json(), {**first, "cache_hit": True})
