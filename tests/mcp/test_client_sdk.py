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


def test_health_returns_the_unenveloped_body(http_server: str) -> None:
    body = _health(http_server)
    assert body["status"] in ("healthy", "degraded", "unhealthy")
    assert set(body["services"]) >= {"database", "cache"}
