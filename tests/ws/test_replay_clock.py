"""One clock per answer: a replayed simulated session is stamped with its simulated time everywhere."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from mcp import Client as McpClient

from marketdata.sessions import shanghai
from marketdata.sources import get_source
from mcpserver.server import build_server
from streaming.services.ticks import ticks_ingest
from tests.mcp.conftest import structured

pytestmark = [pytest.mark.usefixtures("stream", "replay_source", "transactional_db")]


def _day(stamp: str) -> str:
    from datetime import datetime

    return shanghai(datetime.fromisoformat(stamp.replace("Z", "+00:00"))).date().isoformat()


async def test_replayed_answers_carry_the_replayed_time_and_say_so(connect: Any) -> None:
    source = await sync_to_async(get_source)()
    symbol = sorted(info.symbol for info in source.instruments() if info.kind == "stock")[0]
    client = Client()

    latest = (await sync_to_async(client.get)("/api/v1/market_data/latest", {"symbols": symbol})).json()
    provenance = latest["source"]
    assert provenance["simulated"] is True and provenance["replayed"] is True
    day = provenance["trading_day"]
    quote = latest["data"][symbol]
    assert _day(quote["timestamp"]) == day, "the quote is stamped with the replayed moment, not now"
    assert provenance["as_of"] == quote["timestamp"]

    full = (await sync_to_async(client.get)("/api/v1/market_data/full", {"symbols": symbol})).json()
    assert full["source"]["replayed"] is True and full["source"]["trading_day"] == day
    snapshot = full["data"][symbol]
    assert _day(snapshot["basic"]["timestamp"]) == day
    assert {_day(trade["timestamp"]) for trade in snapshot["trades"]} <= {day}

    ticks = await sync_to_async(source.latest_ticks)([symbol])
    await sync_to_async(ticks_ingest)(list(ticks.values()))
    ws = await connect()
    await ws.send_json_to({"action": "subscribe", "symbols": [symbol]})
    ack = await ws.receive_json_from(timeout=5)
    assert ack["type"] == "subscribed"
    assert ack["data"]["provenance"][symbol] == {"source": "simulated", "simulated": True, "replayed": True}
    snap = await ws.receive_json_from(timeout=5)
    [item] = snap["data"]
    assert item["trading_day"] == day and _day(item["timestamp"]) == day and item["simulated"] is True

    async with McpClient(build_server()) as mcp:
        body = structured(await mcp.call_tool("get_latest_quotes", {"symbols": [symbol]}))
    assert body["source"]["replayed"] is True and body["source"]["trading_day"] == day
    assert _day(body["data"][symbol]["timestamp"]) == day


def test_the_exchange_clock_is_not_replayed(client: Any, settings: Any) -> None:
    """With the real clock nothing says replayed (the field is only there when true)."""
    from marketdata.sources import reset_source

    settings.ARGUS_DATA_SOURCE = {"BACKEND": "simulated", "OPTIONS": {"seed": 7, "universe_size": 50, "clock": "real"}}
    reset_source()
    symbol = sorted(info.symbol for info in get_source().instruments() if info.kind == "stock")[0]
    body = client.get("/api/v1/market_data/latest", {"symbols": symbol}).json()
    assert "replayed" not in body["source"]
