"""The spec's Python SDK (`argus_mcp.client.ArgusMCPClient`) against a running server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from argus_mcp.client import ArgusMCPClient
from argus_mcp.data_service_client import DataServiceClient
from argus_mcp.exceptions import (
    ArgusError,
    CacheError,
    DataServiceError,
    InvalidParameterError,
    NotFoundError,
    ServiceUnavailableError,
)
from mcp import Client

from tests.mcp.conftest import structured


def test_error_answers_raise_typed_exceptions_with_the_spec_fields(http_server: str) -> None:
    async def main() -> NotFoundError:
        async with ArgusMCPClient(http_server) as client:
            with pytest.raises(NotFoundError) as caught:
                await client._request("GET", "/api/v1/no_such_endpoint")
            return caught.value

    error = asyncio.run(main())
    assert error.code == "NOT_FOUND"
    assert error.message == "资源不存在"
    assert "/api/v1/no_such_endpoint" in error.details
    assert error.status == 404
    _check_health(http_server)


def test_an_unreachable_server_is_service_unavailable() -> None:
    async def main() -> None:
        async with ArgusMCPClient("http://127.0.0.1:1", timeout=2) as client:
            await client.get_latest_market_data(["000001.SZ"])

    with pytest.raises(ServiceUnavailableError) as caught:
        asyncio.run(main())
    assert caught.value.code == "SERVICE_UNAVAILABLE"
    assert "127.0.0.1:1" in caught.value.details


def test_user_guide_retry_recipe_can_tell_cache_errors_apart() -> None:
    # The guide catches DataServiceError before CacheError: CacheError must not be a DataServiceError.
    assert not issubclass(CacheError, DataServiceError)
    assert issubclass(CacheError, ArgusError)
    assert issubclass(InvalidParameterError, DataServiceError)
    assert DataServiceClient is ArgusMCPClient


def _health(url: str) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        async with ArgusMCPClient(url) as client:
            return await client.health()

    return asyncio.run(main())


def _check_health(http_server: str) -> None:
    body = _health(http_server)
    assert body["status"] in ("healthy", "degraded", "unhealthy")
    assert set(body["services"]) >= {"database", "cache"}


JANUARY = {"start_date": "2024-01-01", "end_date": "2024-01-31"}


def test_the_spec_sdk_example_and_the_mcp_tools_give_the_same_answers(http_server: str) -> None:
    async def main() -> tuple[dict[str, Any], ...]:
        async with ArgusMCPClient(http_server) as sdk:
            latest = await sdk.get_latest_market_data(["000001.SZ", "600000.SH"])
            history = await sdk.get_history_market_data(
                symbols=["000001.SZ"], start_date="2024-01-01", end_date="2024-01-31"
            )
            calendar = await sdk.get_trading_dates("2024-01-01", "2024-01-31", market="SH")
            detail = await sdk.get_instrument_detail(["000001.SZ"])
            full = await sdk.get_full_market_data(["000001.SZ"], depth=5)
            stats = await sdk.get_cache_stats()
            with pytest.raises(InvalidParameterError) as caught:
                await sdk.get_latest_market_data(["000001"])
        async with Client(f"{http_server}/mcp") as agent:
            tools = [
                structured(await agent.call_tool(name, arguments))
                for name, arguments in (
                    ("get_latest_quotes", {"symbols": ["000001.SZ", "600000.SH"]}),
                    (
                        "get_history_bars",
                        {"symbols": ["000001.SZ"], "start_date": "2024-01-01", "end_date": "2024-01-31"},
                    ),
                    ("get_trading_dates", {"start_date": "2024-01-01", "end_date": "2024-01-31", "market": "SH"}),
                    ("get_instrument_detail", {"symbols": ["000001.SZ"]}),
                    ("get_order_book", {"symbols": ["000001.SZ"], "depth": 5}),
                )
            ]
        return latest, history, calendar, detail, full, stats, {"error": caught.value}, *tools

    latest, history, calendar, detail, full, stats, error, *tools = asyncio.run(main())
    assert len(history["000001.SZ"]) == 22  # the spec example's `len(history['000001.SZ'])`: January 2024's sessions
    assert 0.0 <= stats["hit_rate"] <= 1.0
    assert error["error"].code == "INVALID_PARAMETER"
    assert "six digits" in error["error"].details
    assert [tool["data"] for tool in tools] == [latest, history, calendar, detail, full]
