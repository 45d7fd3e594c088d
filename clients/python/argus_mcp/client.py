"""The Python client SDK of the spec (SDK 示例): `ArgusMCPClient("http://localhost:8001")`.

Market-data and metrics calls return the response's `data` object, so
`(await client.get_history_market_data(...))["000001.SZ"]` is the list of bars and
`(await client.get_cache_stats())["hit_rate"]` is a number. Calls whose spec response has no
`data` (cache clear/optimize, pools) return the response body without `success`/`timestamp`.
Error answers raise the typed exceptions of `argus_mcp.exceptions`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import date
from types import TracebackType
from typing import Any

import httpx

from argus_mcp.exceptions import ArgusError, RateLimitError, ServiceUnavailableError, error_for

Symbols = str | Iterable[str]


def _join(symbols: Symbols) -> str:
    return symbols if isinstance(symbols, str) else ",".join(symbols)


def _day(value: str | date) -> str:
    return value.isoformat() if isinstance(value, date) else value


class ArgusMCPClient:
    """Async HTTP client for one Argus node (REST + WebSocket)."""

    def __init__(
        self,
        base_url: str = "http://localhost:8001",
        *,
        api_key: str | None = None,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        all_headers = {"Accept": "application/json", **(headers or {})}
        if api_key:
            all_headers["X-API-Key"] = api_key
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=all_headers, timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> ArgusMCPClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # --- transport -------------------------------------------------------------------------

    async def _request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> dict[str, Any]:
        query = {key: value for key, value in (params or {}).items() if value is not None}
        try:
            response = await self._http.request(method, path, params=query, json=body)
        except httpx.TimeoutException as exc:
            raise ServiceUnavailableError("TIMEOUT", "请求超时", f"{method} {path}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise ServiceUnavailableError(
                "SERVICE_UNAVAILABLE", "服务不可用", f"{method} {self.base_url}{path}: {exc}"
            ) from exc
        return self._parse(response)

    @staticmethod
    def _parse(response: httpx.Response) -> dict[str, Any]:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise ServiceUnavailableError(
                "INTERNAL_ERROR",
                "内部服务器错误",
                f"HTTP {response.status_code}: not a JSON object",
                status=response.status_code,
            )
        error = payload.get("error")
        if payload.get("success") is False or (response.is_error and isinstance(error, dict)):
            error = error if isinstance(error, dict) else {}
            exc = error_for(
                str(error.get("code", "INTERNAL_ERROR")),
                str(error.get("message", "")),
                error.get("details"),
                status=response.status_code,
            )
            if isinstance(exc, RateLimitError) and "Retry-After" in response.headers:
                exc.retry_after = float(response.headers["Retry-After"])
            raise exc
        if response.is_error:
            raise ServiceUnavailableError(
                "INTERNAL_ERROR", "内部服务器错误", f"HTTP {response.status_code}", status=response.status_code
            )
        return payload

    async def _data(self, path: str, **params: Any) -> Any:
        return (await self._request("GET", path, params=params)).get("data")

    @staticmethod
    def _body(payload: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in payload.items() if key not in ("success", "timestamp")}

    # --- market data -----------------------------------------------------------------------

    async def get_latest_market_data(
        self, symbols: Symbols, fields: Symbols | None = None, use_cache: bool = True
    ) -> dict[str, Any]:
        """Latest quotes keyed by symbol."""
        return await self._data(
            "/api/v1/market_data/latest",
            symbols=_join(symbols),
            fields=_join(fields) if fields else None,
            use_cache="true" if use_cache else "false",
        )

    async def get_latest_market_data_batch(
        self, symbols: Iterable[str], *, batch_size: int = 100, use_cache: bool = True
    ) -> dict[str, Any]:
        """Latest quotes for any number of symbols, asked `batch_size` at a time."""
        wanted = list(symbols)
        merged: dict[str, Any] = {}
        for start in range(0, len(wanted), batch_size):
            merged.update(await self.get_latest_market_data(wanted[start : start + batch_size], use_cache=use_cache))
        return merged

    async def get_full_market_data(
        self, symbols: Symbols, fields: Symbols | None = None, depth: int = 5
    ) -> dict[str, Any]:
        """Quote, order book and recent trades keyed by symbol."""
        return await self._data(
            "/api/v1/market_data/full", symbols=_join(symbols), fields=_join(fields) if fields else None, depth=depth
        )

    async def get_history_market_data(
        self,
        symbols: Symbols,
        start_date: str | date,
        end_date: str | date,
        period: str = "1d",
        adjust: str = "none",
    ) -> dict[str, Any]:
        """Bars keyed by symbol, oldest first."""
        return await self._data(
            "/api/v1/market_data/history",
            symbols=_join(symbols),
            start_date=_day(start_date),
            end_date=_day(end_date),
            period=period,
            adjust=adjust,
        )

    async def get_instrument_detail(self, symbols: Symbols) -> dict[str, Any]:
        """Instrument details keyed by symbol."""
        return await self._data("/api/v1/market_data/instrument_detail", symbols=_join(symbols))

    async def get_trading_dates(
        self, start_date: str | date, end_date: str | date, market: str | None = None
    ) -> dict[str, Any]:
        """`{"trading_dates": [...], "total_days": n, "holidays": [...]}`."""
        return await self._data(
            "/api/v1/market_data/trading_dates", start_date=_day(start_date), end_date=_day(end_date), market=market
        )

    # --- cache -----------------------------------------------------------------------------

    async def get_cache_stats(self) -> dict[str, Any]:
        """Hit rates, keys and memory per cache level."""
        return await self._data("/api/v1/cache/stats")

    async def clear_cache(self, cache_type: str | None = None, level: str | None = None) -> dict[str, Any]:
        """`{"message", "cleared_keys", "freed_memory_mb"}`."""
        params = {"cache_type": cache_type, "level": level}
        payload = await self._request("DELETE", "/api/v1/cache/clear", params=params)
        return self._body(payload)

    async def optimize_cache(self) -> dict[str, Any]:
        """`{"message", "optimizations", "performance_improvement"}`."""
        return self._body(await self._request("POST", "/api/v1/cache/optimize"))

    async def get_cache_config(self) -> dict[str, Any]:
        """`{"cache_rules": {...}}`."""
        return await self._data("/api/v1/cache/config")

    # --- connection pools ------------------------------------------------------------------

    async def create_pool(
        self, name: str, config: Mapping[str, Any], server_nodes: Iterable[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """Create a pool; returns `{"message", "pool_name", "config", "server_nodes_count"}`."""
        body = {"name": name, "config": dict(config), "server_nodes": [dict(node) for node in server_nodes]}
        return self._body(await self._request("POST", "/api/v1/connection_pool/pools", body=body))

    async def list_pools(self) -> dict[str, Any]:
        """`{"pools": [...], "total_pools": n}`."""
        return self._body(await self._request("GET", "/api/v1/connection_pool/pools"))

    async def get_pool(self, name: str) -> dict[str, Any]:
        """`{"pool_name", "metrics", "config"}`."""
        return self._body(await self._request("GET", f"/api/v1/connection_pool/pools/{name}"))

    async def scale_pool(self, name: str, target_size: int) -> dict[str, Any]:
        """`{"message", "previous_size", "new_size", "target_size"}`."""
        path = f"/api/v1/connection_pool/pools/{name}/scale"
        return self._body(await self._request("POST", path, body={"target_size": target_size}))

    async def pool_health_check(self, name: str) -> dict[str, Any]:
        """`{"message", "total_nodes", "healthy_nodes", "unhealthy_nodes", "node_details"}`."""
        path = f"/api/v1/connection_pool/pools/{name}/health_check"
        return self._body(await self._request("POST", path))

    # --- monitoring ------------------------------------------------------------------------

    async def health(self) -> dict[str, Any]:
        """GET /health as sent (it has no envelope); a 503 still returns the body."""
        try:
            response = await self._http.get("/health")
        except httpx.HTTPError as exc:
            raise ServiceUnavailableError("SERVICE_UNAVAILABLE", "服务不可用", f"GET /health: {exc}") from exc
        body = response.json()
        if not isinstance(body, dict):
            raise ServiceUnavailableError("INTERNAL_ERROR", "内部服务器错误", "GET /health: not a JSON object")
        return body

    async def get_system_metrics(self) -> dict[str, Any]:
        """CPU, memory, disk, network and process figures."""
        return await self._data("/api/v1/metrics/system")

    async def get_service_metrics(self) -> dict[str, Any]:
        """Request rate, latency, errors, connections and cache hit rate."""
        return await self._data("/api/v1/metrics/service")

    # --- streaming -------------------------------------------------------------------------

    async def subscribe(
        self, symbols: Iterable[str], fields: Iterable[str] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield every message of /ws/market_data after subscribing to `symbols` (pushes, snapshots, errors)."""
        from websockets.asyncio.client import connect

        url = "ws" + self.base_url.removeprefix("http") + "/ws/market_data"
        request: dict[str, Any] = {"action": "subscribe", "symbols": list(symbols)}
        if fields is not None:
            request["fields"] = list(fields)
        async with connect(url, additional_headers=dict(self._http.headers)) as socket:
            await socket.send(json.dumps(request))
            async for raw in socket:
                message = json.loads(raw)
                if isinstance(message, dict):
                    yield message


__all__ = ["ArgusError", "ArgusMCPClient"]
