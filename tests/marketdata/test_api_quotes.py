"""GET /latest and /full against the configured (simulated) source: the spec's shapes and the cache contract."""

from __future__ import annotations

from typing import Any

import pytest

from cachemgr.keys import latest_quote_key
from cachemgr.services import cache_store
from marketdata.models import Instrument
from marketdata.payloads import BASIC_FIELDS, QUOTE_FIELDS

pytestmark = pytest.mark.django_db
LATEST = "/api/v1/market_data/latest"
FULL = "/api/v1/market_data/full"


@pytest.fixture
def two_symbols(reference_data: None) -> list[str]:
    symbols = list(Instrument.objects.stocks().order_by("symbol").values_list("symbol", flat=True)[:2])
    assert len(symbols) == 2
    return symbols


def test_latest_has_the_spec_shape_and_says_it_is_simulated(client: Any, two_symbols: list[str]) -> None:
    response = client.get(LATEST, {"symbols": f"{two_symbols[0]},{two_symbols[1].lower()},{two_symbols[0]}"})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert list(body["data"]) == two_symbols
    for symbol, quote in body["data"].items():
        assert tuple(quote) == QUOTE_FIELDS
        assert quote["symbol"] == symbol
        assert quote["name"] == Instrument.objects.get(symbol=symbol).name
        assert quote["change"] == round(quote["price"] - quote["prev_close"], 2)
        assert quote["low"] <= quote["price"] <= quote["high"]
        assert isinstance(quote["volume"], int)
        assert quote["timestamp"].endswith("Z")
    assert body["cache_hit"] is False
    assert body["cache_age_seconds"] is None
    assert body["response_time_ms"] >= 0
    assert body["source"]["simulated"] is True
    assert body["source"]["as_of"] == min(quote["timestamp"] for quote in body["data"].values())


def test_second_read_is_a_cache_hit_with_its_age(client: Any, two_symbols: list[str]) -> None:
    first = client.get(LATEST, {"symbols": two_symbols[0]}).json()
    second = client.get(LATEST, {"symbols": two_symbols[0]}).json()
    assert second["cache_hit"] is True
    assert second["cache_age_seconds"] >= 0
    assert second["data"] == first["data"]
    fresh = client.get(LATEST, {"symbols": two_symbols[0], "use_cache": "false"}).json()
    assert fresh["cache_hit"] is False


def test_fields_narrow_every_quote(client: Any, two_symbols: list[str]) -> None:
    body = client.get(LATEST, {"symbols": ",".join(two_symbols), "fields": "price,volume,change"}).json()
    assert all(list(quote) == ["price", "volume", "change"] for quote in body["data"].values())


def test_the_feed_contract_quotes_written_through_the_cache_are_served(client: Any, two_symbols: list[str]) -> None:
    symbol = two_symbols[0]
    quote = client.get(LATEST, {"symbols": symbol}).json()["data"][symbol]
    written = {**quote, "price": round(quote["price"] + 0.01, 2), "timestamp": "2030-01-02T01:30:00.000Z"}
    cache_store("LATEST_DATA", latest_quote_key(symbol), written)
    body = client.get(LATEST, {"symbols": symbol}).json()
    assert body["data"][symbol] == written
    assert body["cache_hit"] is True
    assert body["source"]["as_of"] == "2030-01-02T01:30:00.000Z"


def test_full_has_basic_book_and_trades(client: Any, two_symbols: list[str]) -> None:
    symbol = two_symbols[0]
    body = client.get(FULL, {"symbols": symbol}).json()
    snapshot = body["data"][symbol]
    assert list(snapshot) == ["basic", "orderbook", "trades"]
    assert tuple(snapshot["basic"]) == BASIC_FIELDS
    bids, asks = snapshot["orderbook"]["bids"], snapshot["orderbook"]["asks"]
    assert 0 < len(bids) <= 5 and 0 < len(asks) <= 5
    assert [level["price"] for level in bids] == sorted((level["price"] for level in bids), reverse=True)
    assert [level["price"] for level in asks] == sorted(level["price"] for level in asks)
    assert bids[0]["price"] < asks[0]["price"]
    assert all(set(trade) == {"price", "volume", "direction", "timestamp"} for trade in snapshot["trades"])
    assert {trade["direction"] for trade in snapshot["trades"]} <= {"buy", "sell", "neutral"}
    assert body["source"]["simulated"] is True


def test_full_depth_and_sections(client: Any, two_symbols: list[str]) -> None:
    symbol = two_symbols[0]
    deep = client.get(FULL, {"symbols": symbol, "depth": "10", "fields": "orderbook"}).json()["data"][symbol]
    assert list(deep) == ["orderbook"]
    assert 5 <= len(deep["orderbook"]["bids"]) <= 10
    shallow = client.get(FULL, {"symbols": symbol, "fields": "basic,trades"}).json()["data"][symbol]
    assert list(shallow) == ["basic", "trades"]
