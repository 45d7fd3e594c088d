"""One contract: a tick ingested once reads back the same through every interface and cache level."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from mcp import Client as McpClient

from cachemgr.keys import latest_quote_key
from cachemgr.services import cache_fetch, state
from marketdata.selectors.common import directory
from mcpserver.server import build_server
from streaming.services.ticks import ticks_ingest
from tests.mcp.conftest import structured

pytestmark = [pytest.mark.usefixtures("stream", "instruments")]
SYMBOL = "000001.SZ"
LATEST = "/api/v1/market_data/latest"


def _fail() -> Any:
    raise AssertionError("must be cached")


async def _django(level: str) -> dict[str, Any]:
    body = (await sync_to_async(Client().get)(LATEST, {"symbols": SYMBOL})).json()
    assert body["cache_hit"] is True, (level, body)
    return dict(body["data"][SYMBOL])


async def _fast_path() -> dict[str, Any]:
    from argus_site.asgi import application

    await sync_to_async(directory.reload)()
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(LATEST, params={"symbols": SYMBOL})
    assert "x-frame-options" not in response.headers  # the fast path answered, not Django
    body = response.json()
    assert body["cache_hit"] is True
    return dict(body["data"][SYMBOL])


async def test_a_tick_reads_back_the_same_everywhere(connect: Any, make_tick: Any) -> None:
    tick = make_tick(SYMBOL, 2)
    await sync_to_async(ticks_ingest)([tick])
    stored = (await sync_to_async(cache_fetch)("LATEST_DATA", latest_quote_key(SYMBOL), _fail)).value
    expected = dict(stored)
    assert expected["price"] == tick.price and expected["name"] == "平安银行"

    from_l1 = await _django("L1")
    fast = await _fast_path()
    state.process_reset()  # this process's L1 gone: L2 answers
    from_l2 = await _django("L2")

    ws = await connect()
    await ws.send_json_to({"action": "subscribe", "symbols": [SYMBOL]})
    assert (await ws.receive_json_from(timeout=5))["type"] == "subscribed"
    snapshot = await ws.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    [pushed] = snapshot["data"]
    assert pushed["trading_day"] == tick.trading_day.isoformat() and pushed["seq"] == 1
    assert pushed["simulated"] is True  # the stream's own fields: seq, trading_day, the simulated flag
    over_ws = {key: value for key, value in pushed.items() if key not in ("seq", "trading_day", "simulated")}

    async with McpClient(build_server()) as client:
        mcp = structured(await client.call_tool("get_latest_quotes", {"symbols": [SYMBOL]}))["data"][SYMBOL]

    for name, seen in (("django L1", from_l1), ("fast path", fast), ("django L2", from_l2), ("websocket", over_ws),
                       ("mcp", mcp)):  # fmt: skip
        assert seen == expected, name
        assert list(seen) == list(expected), f"{name}: same fields in the same order"
    assert stored == expected, "the cached value was not mutated by any reader"
