"""The node-to-node endpoints (instruments, ticks, trades, corporate_actions): payloads and schema."""

from __future__ import annotations

from typing import Any

import pytest

from marketdata.sources import get_source
from marketdata.sources.codec import action_encode, instrument_encode, tick_encode
from tests.test_schema import conforms

pytestmark = pytest.mark.django_db
API = "/api/v1/market_data"


@pytest.fixture
def openapi(client: Any) -> dict[str, Any]:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return dict(response.json())


def _get(client: Any, openapi: dict[str, Any], name: str, status: int = 200, **query: Any) -> dict[str, Any]:
    response = client.get(f"{API}/{name}", query)
    assert response.status_code == status, response.content[:500]
    body = dict(response.json())
    conforms(openapi, f"{API}/{name}", status, body)
    return body


def test_instruments_pages_through_every_instrument(client: Any, openapi: dict[str, Any], reference_data: None) -> None:
    expected = sorted(get_source().instruments(), key=lambda info: info.symbol)
    listed: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        body = _get(client, openapi, "instruments", limit=150, **({"after": after} if after else {}))
        assert body["data"]["total"] == len(expected) and body["source"]["source"] == "simulated"
        listed.extend(body["data"]["instruments"])
        after = body["data"]["next"]
        if after is None:
            break
        assert after == listed[-1]["symbol"]
    assert listed == [instrument_encode(info) for info in expected]
    some = [expected[3].symbol, "000002.SZ" if expected[0].symbol != "000002.SZ" else "000004.SZ", expected[0].symbol]
    only = _get(client, openapi, "instruments", symbols=",".join(some))["data"]["instruments"]
    known = {info.symbol for info in expected}
    assert [item["symbol"] for item in only] == [symbol for symbol in some if symbol in known]


def test_ticks_carry_status_limits_and_the_whole_book(
    client: Any, openapi: dict[str, Any], reference_data: None
) -> None:
    symbols = [info.symbol for info in get_source().instruments()[:3]]
    body = _get(client, openapi, "ticks", symbols=",".join(symbols))
    ticks = get_source().latest_ticks(symbols)
    assert set(body["data"]) == set(ticks)
    for symbol, tick in ticks.items():
        served = body["data"][symbol]
        # The simulated source moves every 3 s: compare what the payload is built from, field by field.
        assert set(served) == set(tick_encode(tick))
        assert served["status"] in ("trading", "suspended", "limit_up", "limit_down")
        assert served["limit_up"] == tick.limit_up and served["limit_down"] == tick.limit_down
        assert len(served["bids"]) == len(tick.bids) and len(served["asks"]) == len(tick.asks)


def test_trades_go_past_twenty(client: Any, openapi: dict[str, Any], reference_data: None) -> None:
    symbol = get_source().instruments()[0].symbol
    trades = _get(client, openapi, "trades", symbol=symbol, limit=60)["data"]
    assert len(trades) <= 60
    assert [t["timestamp"] for t in trades] == sorted((t["timestamp"] for t in trades), reverse=True)


def test_corporate_actions_per_symbol(client: Any, openapi: dict[str, Any], reference_data: None) -> None:
    source = get_source()
    symbols = [info.symbol for info in source.instruments()[:10]]
    data = _get(client, openapi, "corporate_actions", symbols=",".join(symbols))["data"]
    assert list(data) == symbols
    for symbol in symbols:
        actions = sorted(source.corporate_actions(symbol), key=lambda action: action.ex_date)
        assert data[symbol] == [action_encode(action) for action in actions]
    assert any(data.values()), "the simulated universe's first ten instruments have some dividends"


def test_errors_say_what_to_fix(client: Any, openapi: dict[str, Any], reference_data: None) -> None:
    missing = _get(client, openapi, "trades", 400)
    assert missing["error"]["code"] == "MISSING_PARAMETER" and "symbol" in missing["error"]["details"]
    bad = _get(client, openapi, "instruments", 400, limit=5000)
    assert bad["error"]["code"] == "INVALID_PARAMETER" and "limit" in bad["error"]["details"]
    unknown = _get(client, openapi, "corporate_actions", 404, symbols="603999.SH,000001.SZ")
    assert unknown["error"]["code"] == "NOT_FOUND"
