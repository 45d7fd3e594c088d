"""Each SDK method as data (`Call`: method, path, query, body, result shape), shared by both clients.

`ArgusMCPClient` (async) and `ArgusClient` (blocking) only send a `Call` with their httpx client
and hand the response to `result_of`, so the two cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import httpx

from argus_mcp import paging
from argus_mcp.exceptions import (
    InternalServerError,
    RateLimitError,
    RequestTimeoutError,
    ServiceUnavailableError,
    error_for,
)
from argus_mcp.results import MarketDataResult

Symbols = str | Iterable[str]
# market: a MarketDataResult; data: the response's `data`; body: the response without success/timestamp.
Shape = Literal["market", "data", "body"]
DEFAULT_URL = "http://localhost:8001"


def default_base_url(base_url: str | None) -> str:
    """`base_url`, else the `ARGUS_URL` environment variable, else http://localhost:8001."""
    return (base_url or os.environ.get("ARGUS_URL") or DEFAULT_URL).rstrip("/")


def client_headers(api_key: str | None, headers: Mapping[str, str] | None) -> dict[str, str]:
    all_headers = {"Accept": "application/json", **(headers or {})}
    if api_key:
        all_headers["X-API-Key"] = api_key
    return all_headers


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    shape: Shape = "data"

    @property
    def query(self) -> dict[str, Any]:
        return {key: value for key, value in self.params.items() if value is not None}


def join(symbols: Symbols) -> str:
    return symbols if isinstance(symbols, str) else ",".join(symbols)


def day(value: str | date) -> str:
    return value.isoformat() if isinstance(value, date) else value


def transport_error(call: Call, base_url: str, exc: httpx.HTTPError) -> ServiceUnavailableError:
    """No answer at all (refused, reset, timed out) as the spec's SERVICE_UNAVAILABLE or TIMEOUT."""
    if isinstance(exc, httpx.TimeoutException):
        return RequestTimeoutError("TIMEOUT", "请求超时", f"{call.method} {call.path}: {exc}")
    return ServiceUnavailableError("SERVICE_UNAVAILABLE", "服务不可用", f"{call.method} {base_url}{call.path}: {exc}")


def parse(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object; error answers raise the matching `argus_mcp.exceptions` class."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise InternalServerError(
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
        raise InternalServerError(
            "INTERNAL_ERROR", "内部服务器错误", f"HTTP {response.status_code}", status=response.status_code
        )
    return payload


def result_of(call: Call, payload: dict[str, Any]) -> Any:
    if call.shape == "market":
        data = payload.get("data")
        return MarketDataResult(data if isinstance(data, dict) else {}, payload)
    if call.shape == "data":
        return payload.get("data")
    return {key: value for key, value in payload.items() if key not in ("success", "timestamp")}


def health_body(response: httpx.Response) -> dict[str, Any]:
    """GET /health as sent (it has no envelope); a 503 still returns the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ServiceUnavailableError("INTERNAL_ERROR", "内部服务器错误", "GET /health: not a JSON object")
    return body


# --- the calls -----------------------------------------------------------------------------


def latest(symbols: Symbols, fields: Symbols | None, use_cache: bool) -> Call:
    params = {"symbols": join(symbols), "fields": join(fields) if fields else None, "use_cache": _flag(use_cache)}
    return Call("GET", "/api/v1/market_data/latest", params, shape="market")


def full(symbols: Symbols, fields: Symbols | None, depth: int) -> Call:
    params = {"symbols": join(symbols), "fields": join(fields) if fields else None, "depth": depth}
    return Call("GET", "/api/v1/market_data/full", params, shape="market")


def history(symbols: Symbols, start_date: str | date, end_date: str | date, period: str, adjust: str) -> Call:
    params = {
        "symbols": join(symbols),
        "start_date": day(start_date),
        "end_date": day(end_date),
        "period": period,
        "adjust": adjust,
    }
    return Call("GET", "/api/v1/market_data/history", params, shape="market")


def history_window(
    symbols: Symbols, start_date: str | date, end_date: str | date, period: str
) -> tuple[list[str], date, date] | None:
    """(symbols, start, end) when the pull needs pages; None when one request fits (or the server
    should judge the parameters: a bad date, start after end, an unknown period)."""
    try:
        start, end = paging.as_date(start_date), paging.as_date(end_date)
    except ValueError:
        return None
    wanted = paging.symbol_list(symbols)
    if start > end or period not in paging.ROW_CAP or paging.fits(wanted, start, end, period):
        return None
    return wanted, start, end


def history_pages(symbols: list[str], trading_days: Iterable[str], period: str) -> list[paging.Page]:
    return paging.plan(symbols, [date.fromisoformat(day) for day in trading_days], period)


def instrument_detail(symbols: Symbols) -> Call:
    return Call("GET", "/api/v1/market_data/instrument_detail", {"symbols": join(symbols)}, shape="market")


def trading_dates(start_date: str | date, end_date: str | date, market: str | None) -> Call:
    params = {"start_date": day(start_date), "end_date": day(end_date), "market": market}
    return Call("GET", "/api/v1/market_data/trading_dates", params, shape="market")


def batches(symbols: Iterable[str], batch_size: int) -> list[list[str]]:
    wanted = list(symbols)
    return [wanted[start : start + batch_size] for start in range(0, len(wanted), batch_size)]


def cache_stats() -> Call:
    return Call("GET", "/api/v1/cache/stats")


def clear_cache(cache_type: str | None, level: str | None) -> Call:
    return Call("DELETE", "/api/v1/cache/clear", {"cache_type": cache_type, "level": level}, shape="body")


def optimize_cache() -> Call:
    return Call("POST", "/api/v1/cache/optimize", shape="body")


def cache_config() -> Call:
    return Call("GET", "/api/v1/cache/config")


def create_pool(name: str, config: Mapping[str, Any], server_nodes: Iterable[Mapping[str, Any]]) -> Call:
    body = {"name": name, "config": dict(config), "server_nodes": [dict(node) for node in server_nodes]}
    return Call("POST", "/api/v1/connection_pool/pools", body=body, shape="body")


def list_pools() -> Call:
    return Call("GET", "/api/v1/connection_pool/pools", shape="body")


def get_pool(name: str) -> Call:
    return Call("GET", f"/api/v1/connection_pool/pools/{name}", shape="body")


def scale_pool(name: str, target_size: int) -> Call:
    path = f"/api/v1/connection_pool/pools/{name}/scale"
    return Call("POST", path, body={"target_size": target_size}, shape="body")


def pool_health_check(name: str) -> Call:
    return Call("POST", f"/api/v1/connection_pool/pools/{name}/health_check", shape="body")


def system_metrics() -> Call:
    return Call("GET", "/api/v1/metrics/system")


def service_metrics() -> Call:
    return Call("GET", "/api/v1/metrics/service")


def _flag(value: bool) -> str:
    return "true" if value else "false"
