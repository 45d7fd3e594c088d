"""The same server over stdio (`manage.py mcp_server`) and over Streamable HTTP at /mcp on the running service."""

from __future__ import annotations

import asyncio
import time
import warnings
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.server.subscriptions import ResourceUpdated
from mcp.types import ResourceUpdatedNotification

from mcpserver.resources import notify_quote_updated
from tests.mcp.conftest import structured


async def _list_and_search(client: Client) -> tuple[set[str], dict[str, Any]]:
    tools = {tool.name for tool in (await client.list_tools()).tools}
    result = await client.call_tool("search_instruments", {"query": "000001"})
    return tools, structured(result)


def _assert_search(tools: set[str], body: dict[str, Any]) -> None:
    assert "search_instruments" in tools
    found = {row["symbol"]: row["name"] for row in body["data"]["instruments"]}
    assert found["000001.SZ"] == "平安银行"
    assert body["source"]["simulated"] is True


EVERY_TOOL = {
    "get_latest_quotes": {"symbols": ["000001.SZ"]},
    "get_order_book": {"symbols": ["000001.SZ"], "depth": 10},
    "get_history_bars": {"symbols": ["000001.SZ"], "start_date": "2024-01-02", "end_date": "2024-01-31"},
    "get_instrument_detail": {"symbols": ["000001.SZ"]},
    "get_trading_dates": {"start_date": "2024-01-01", "end_date": "2024-01-31", "market": "SZ"},
    "search_instruments": {"query": "平安"},
    "get_market_status": {"market": "SH"},
    "get_recorded_ticks": {"symbols": ["000001.SZ"], "date": "2024-01-15"},
}


def test_stdio_command_serves_every_tool(stdio_params: StdioServerParameters) -> None:
    async def main() -> tuple[set[str], dict[str, Any], Any, dict[str, Any]]:
        async with Client(stdio_params, read_timeout_seconds=60) as client:
            tools, body = await _list_and_search(client)
            bad = await client.call_tool("search_instruments", {"query": "平安", "max_rows": 1000})
            every = {name: await client.call_tool(name, args) for name, args in EVERY_TOOL.items()}
            return tools, body, bad, every

    tools, body, bad, every = asyncio.run(main())
    _assert_search(tools, body)
    assert tools == set(EVERY_TOOL)
    assert bad.is_error is True
    assert structured(bad)["error"]["code"] == "INVALID_PARAMETER"
    for name, result in every.items():
        assert result.is_error is False, (name, result)
    # Market data says it is simulated; the trading calendar is the exchange's own, not simulated.
    for name in ("get_latest_quotes", "get_order_book", "get_history_bars", "get_instrument_detail"):
        assert structured(every[name])["source"]["simulated"] is True, name
    assert structured(every["get_trading_dates"])["source"]["simulated"] is False
    assert structured(every["get_trading_dates"])["data"]["total_days"] == 22
    assert structured(every["get_market_status"])["data"]["market"] == "SH"


def test_http_endpoint_serves_tools(http_server: str) -> None:
    async def main() -> tuple[set[str], dict[str, Any]]:
        async with Client(f"{http_server}/mcp") as client:
            return await _list_and_search(client)

    _assert_search(*asyncio.run(main()))


def test_http_listen_subscription_receives_quote_updates(http_server: str) -> None:
    assert notify_quote_updated("000001.SZ") == 0  # nobody subscribed: no work

    async def main() -> Any:
        uri = "quote://000001.SZ"
        async with Client(f"{http_server}/mcp") as client, client.listen(resource_subscriptions=[uri]) as subscription:
            assert subscription.honored.resource_subscriptions == [uri]
            # The ingest path's call, from this (another) thread: only subscribed URIs are delivered.
            assert notify_quote_updated("600000.SH") == 1
            assert notify_quote_updated("000001.SZ") == 1
            return await asyncio.wait_for(anext(aiter(subscription)), 10)

    event = asyncio.run(main())
    assert event == ResourceUpdated(uri="quote://000001.SZ")


def test_subscription_receives_update_after_the_feed_ingests_a_tick(http_server: str) -> None:
    """The real path: ticks_ingest -> the process's stream hub -> MCP resource notification."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from marketdata.sources import get_source
    from streaming.services.ticks import ticks_ingest

    source = get_source()
    opening = datetime(2024, 6, 12, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

    def ingest(step: int) -> None:
        ticks = source.ticks_at(["000001.SZ"], opening + timedelta(seconds=3 * step))  # type: ignore[attr-defined]
        ticks_ingest(ticks.values(), names={"000001.SZ": "平安银行"})

    async def main() -> Any:
        uri = "quote://000001.SZ"
        async with Client(f"{http_server}/mcp") as client, client.listen(resource_subscriptions=[uri]) as subscription:
            events = aiter(subscription)
            # Each step is a new tick; keep ingesting until the hub (started on subscribe) delivers one.
            for step in range(40):
                await asyncio.to_thread(ingest, step)
                try:
                    return await asyncio.wait_for(anext(events), 0.5)
                except TimeoutError:
                    continue
            raise AssertionError("no resource update after 40 ingested ticks")

    assert asyncio.run(main()) == ResourceUpdated(uri="quote://000001.SZ")


def test_http_legacy_resources_subscribe_receives_quote_updates(http_server: str) -> None:
    received: asyncio.Queue[str] = asyncio.Queue()

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            received.put_nowait(str(message.params.uri))

    async def main() -> str:
        async with Client(f"{http_server}/mcp", mode="legacy", message_handler=on_message) as client:
            assert client.server_capabilities.resources is not None
            assert client.server_capabilities.resources.subscribe is True
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                await client.subscribe_resource("quote://000001.SZ")
            assert notify_quote_updated("000001.SZ") == 1
            return await asyncio.wait_for(received.get(), 10)

    assert asyncio.run(main()) == "quote://000001.SZ"
    # The session is gone: the next notification finds it closed and forgets it.
    notify_quote_updated("000001.SZ")
    deadline = time.monotonic() + 10
    while notify_quote_updated("000001.SZ") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert notify_quote_updated("000001.SZ") == 0


@pytest.mark.usefixtures("settings")
def test_http_guard_refuses_without_a_key(http_server: str, settings: Any) -> None:
    settings.ARGUS_MCP_HTTP_GUARD = "tests.mcp.guards.require_test_key"
    response = httpx.post(
        f"{http_server}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
        headers={"Accept": "application/json, text/event-stream"},
    )
    assert response.status_code == 401
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "UNAUTHORIZED"
    assert "X-Test-Token" in body["error"]["details"]

    async def main() -> set[str]:
        import httpx2

        http_client = httpx2.AsyncClient(headers={"X-Test-Token": "test-key"})
        from mcp.client.streamable_http import streamable_http_client

        async with Client(streamable_http_client(f"{http_server}/mcp", http_client=http_client)) as client:
            return {tool.name for tool in (await client.list_tools()).tools}

    assert "search_instruments" in asyncio.run(main())

    # Only the /mcp prefix is MCP's: a look-alike path still reaches Django.
    response = httpx.get(f"{http_server}/mcpx/not-mcp")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"
