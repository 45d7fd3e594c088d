"""The Python client SDK of the spec (SDK 示例): `ArgusMCPClient("http://localhost:8001")`.

Market-data calls return a `MarketDataResult`: a dict of the response's `data`, so
`(await client.get_history_market_data(...))["000001.SZ"]` is the list of bars, which also
carries the envelope's provenance (`.source`, `.simulated`, `.as_of`, `.cache_hit`, ...).
Cache-stats/config and metrics calls return the response's `data`
(`(await client.get_cache_stats())["hit_rate"]` is a number). Calls whose spec response has no
`data` (cache clear/optimize, pools) return the response body without `success`/`timestamp`.
Error answers raise the typed exceptions of `argus_mcp.exceptions`. `ArgusClient`
(`argus_mcp.sync`) is the same API, blocking.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import date
from types import TracebackType
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from argus_mcp import calls, paging
from argus_mcp.calls import Call, Symbols
from argus_mcp.exceptions import ArgusError
from argus_mcp.results import MarketDataResult, merge_results
from argus_mcp.stream import Backoff, Resume, connect_options, gave_up, refused, retry_cause, websocket_url


class ArgusMCPClient:
    """Async HTTP client for one Argus node (REST + WebSocket).

    `base_url` defaults to the `ARGUS_URL` environment variable, else http://localhost:8001.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = calls.default_base_url(base_url)
        self.api_key = api_key
        self.timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=calls.client_headers(api_key, headers),
            timeout=timeout,
            transport=transport,
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

    async def _send(self, call: Call) -> dict[str, Any]:
        try:
            response = await self._http.request(call.method, call.path, params=call.query, json=call.body)
        except httpx.HTTPError as exc:
            raise calls.transport_error(call, self.base_url, exc) from exc
        return calls.parse(response)

    async def _call(self, call: Call) -> Any:
        return calls.result_of(call, await self._send(call))

    async def _request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None
    ) -> dict[str, Any]:
        """Any endpoint: the response's JSON object (error answers raise)."""
        return await self._send(Call(method, path, dict(params or {}), body))

    # --- market data -----------------------------------------------------------------------

    async def get_latest_market_data(
        self, symbols: Symbols, fields: Symbols | None = None, use_cache: bool = True
    ) -> MarketDataResult:
        """Latest quotes keyed by symbol."""
        return await self._call(calls.latest(symbols, fields, use_cache))

    async def get_latest_market_data_batch(
        self, symbols: Iterable[str], *, batch_size: int = 100, use_cache: bool = True
    ) -> MarketDataResult:
        """Latest quotes for any number of symbols, asked `batch_size` at a time (provenance merged)."""
        parts = [
            await self.get_latest_market_data(batch, use_cache=use_cache)
            for batch in calls.batches(symbols, batch_size)
        ]
        return merge_results(parts)

    async def get_full_market_data(
        self, symbols: Symbols, fields: Symbols | None = None, depth: int = 5
    ) -> MarketDataResult:
        """Quote, order book and recent trades keyed by symbol."""
        return await self._call(calls.full(symbols, fields, depth))

    async def get_history_market_data(
        self,
        symbols: Symbols,
        start_date: str | date,
        end_date: str | date,
        period: str = "1d",
        adjust: str = "none",
        *,
        progress: bool | None = None,
        as_frame: bool = False,
    ) -> Any:
        """Bars keyed by symbol, oldest first (`.total_records`, `.period`, `.adjustment` too).

        Any number of symbols and any span: a pull over the server's caps is sent in pages (symbol
        batches, then date windows; `argus_mcp.paging`) and merged (`.pages` in the envelope), with a
        tqdm bar on long pulls (`progress=None`: when tqdm is installed; True/False force it).
        `as_frame=True` returns `.to_pandas()` of the result instead.
        """
        pages = None
        window = calls.history_window(symbols, start_date, end_date, period)
        if window is not None:
            days = (await self.get_trading_dates(window[1], window[2]))["trading_dates"]
            pages = calls.history_pages(window[0], days, period)
        if not pages:
            result = await self._call(calls.history(symbols, start_date, end_date, period, adjust))
        else:
            bar = paging.progress_bar(len(pages), progress, f"history {period}")
            parts = []
            try:
                for page in pages:
                    parts.append(await self._call(calls.history(page.symbols, page.start, page.end, period, adjust)))
                    if bar is not None:
                        bar.update(1)
            finally:
                if bar is not None:
                    bar.close()
            result = paging.merge_pages(parts, window[0] if window else [])
        return result.to_pandas() if as_frame else result

    async def get_instrument_detail(self, symbols: Symbols) -> MarketDataResult:
        """Instrument details keyed by symbol."""
        return await self._call(calls.instrument_detail(symbols))

    async def get_trading_dates(
        self, start_date: str | date, end_date: str | date, market: str | None = None
    ) -> MarketDataResult:
        """`{"trading_dates": [...], "total_days": n, "holidays": [...]}`."""
        return await self._call(calls.trading_dates(start_date, end_date, market))

    # --- cache -----------------------------------------------------------------------------

    async def get_cache_stats(self) -> dict[str, Any]:
        """Hit rates, keys and memory per cache level."""
        return await self._call(calls.cache_stats())

    async def clear_cache(self, cache_type: str | None = None, level: str | None = None) -> dict[str, Any]:
        """`{"message", "cleared_keys", "freed_memory_mb"}`."""
        return await self._call(calls.clear_cache(cache_type, level))

    async def optimize_cache(self) -> dict[str, Any]:
        """`{"message", "optimizations", "performance_improvement"}`."""
        return await self._call(calls.optimize_cache())

    async def get_cache_config(self) -> dict[str, Any]:
        """`{"cache_rules": {...}}`."""
        return await self._call(calls.cache_config())

    # --- connection pools ------------------------------------------------------------------

    async def create_pool(
        self, name: str, config: Mapping[str, Any], server_nodes: Iterable[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """Create a pool; returns `{"message", "pool_name", "config", "server_nodes_count"}`."""
        return await self._call(calls.create_pool(name, config, server_nodes))

    async def list_pools(self) -> dict[str, Any]:
        """`{"pools": [...], "total_pools": n}`."""
        return await self._call(calls.list_pools())

    async def get_pool(self, name: str) -> dict[str, Any]:
        """`{"pool_name", "metrics", "config"}`."""
        return await self._call(calls.get_pool(name))

    async def scale_pool(self, name: str, target_size: int) -> dict[str, Any]:
        """`{"message", "previous_size", "new_size", "target_size"}`."""
        return await self._call(calls.scale_pool(name, target_size))

    async def pool_health_check(self, name: str) -> dict[str, Any]:
        """`{"message", "total_nodes", "healthy_nodes", "unhealthy_nodes", "node_details"}`."""
        return await self._call(calls.pool_health_check(name))

    # --- monitoring ------------------------------------------------------------------------

    async def health(self) -> dict[str, Any]:
        """GET /health as sent (it has no envelope); a 503 still returns the body."""
        call = Call("GET", "/health")
        try:
            response = await self._http.get(call.path)
        except httpx.HTTPError as exc:
            raise calls.transport_error(call, self.base_url, exc) from exc
        return calls.health_body(response)

    async def get_system_metrics(self) -> dict[str, Any]:
        """CPU, memory, disk, network and process figures."""
        return await self._call(calls.system_metrics())

    async def get_service_metrics(self) -> dict[str, Any]:
        """Request rate, latency, errors, connections and cache hit rate."""
        return await self._call(calls.service_metrics())

    # --- streaming -------------------------------------------------------------------------

    async def subscribe(
        self,
        symbols: Iterable[str],
        fields: Iterable[str] | None = None,
        *,
        reconnect: Backoff | None = None,
        replay: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield every message of /ws/market_data for `symbols`, across reconnections.

        A dropped connection is reopened after `reconnect`'s jittered, capped backoff (default:
        `Backoff()`, forever; `Backoff(max_attempts=0)` never) and resubscribed with `resume_from`
        = the last seq yielded per symbol and the epoch it came in, so the missed pushes are
        replayed in order; where they cannot be, the server's `reset` and fresh `snapshot` are
        yielded. Pushes at or below the last seq yielded in the same epoch are dropped, as are a
        reconnection's own `subscribed` ack and empty snapshot. A refused API key raises
        `AuthenticationError`; giving up raises `ServiceUnavailableError`.

        `replay={"date": "2024-01-15", "speed": 10, "from": "09:30:00"}` (speed a number or "max")
        plays that recorded day instead, over the same protocol (every message has `replay: true`);
        the iteration ends after the end-of-recording status, and a dropped connection continues
        from the last tick's time.
        """
        policy = reconnect or Backoff()
        url = websocket_url(self.base_url)
        resume = Resume(symbols, fields, replay)
        failures = 0
        while True:
            cause: BaseException | None = None
            try:
                async with connect(url, **connect_options(self.api_key, self.timeout)) as socket:
                    # A refused key is answered by an error frame and a close, perhaps before this
                    # send: the frame is still read below.
                    with contextlib.suppress(ConnectionClosed):
                        for request in resume.requests():
                            await socket.send(json.dumps(request))
                    async for raw in socket:
                        failures = 0  # the server answered: the next drop starts the backoff afresh
                        message = resume.receive(raw)
                        if message is not None:
                            yield message
                        if resume.ended:
                            return  # a replay's recording is over
                    error = refused(socket.close_code, socket.close_reason or resume.refusal or "")
                    if error is not None:
                        raise error
            except (OSError, TimeoutError, WebSocketException) as exc:
                cause = retry_cause(exc, resume, url)
            failures += 1
            if policy.exhausted(failures):
                raise gave_up(url, failures, cause)
            await asyncio.sleep(policy.delay(failures))


__all__ = ["ArgusError", "ArgusMCPClient", "Backoff", "MarketDataResult"]
