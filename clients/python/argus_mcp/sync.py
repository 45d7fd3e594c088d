"""`ArgusClient`: the SDK's blocking twin for notebooks and scripts (httpx.Client, websockets' sync client).

Same methods, arguments and return values as `ArgusMCPClient`, without `await`.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from types import TracebackType
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.sync.client import connect

from argus_mcp import calls, paging
from argus_mcp.calls import Call, Symbols
from argus_mcp.results import MarketDataResult, merge_results
from argus_mcp.stream import Backoff, Resume, connect_options, gave_up, refused, retry_cause, websocket_url


class ArgusClient:
    """Blocking HTTP client for one Argus node (REST + WebSocket); use it in a `with` block or `close()` it.

    `base_url` defaults to the `ARGUS_URL` environment variable, else http://localhost:8001.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str | None = None,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = calls.default_base_url(base_url)
        self.api_key = api_key
        self.timeout = timeout
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=calls.client_headers(api_key, headers),
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> ArgusClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _send(self, call: Call) -> dict[str, Any]:
        try:
            response = self._http.request(call.method, call.path, params=call.query, json=call.body)
        except httpx.HTTPError as exc:
            raise calls.transport_error(call, self.base_url, exc) from exc
        return calls.parse(response)

    def _call(self, call: Call) -> Any:
        return calls.result_of(call, self._send(call))

    # --- market data -----------------------------------------------------------------------

    def get_latest_market_data(
        self, symbols: Symbols, fields: Symbols | None = None, use_cache: bool = True
    ) -> MarketDataResult:
        """Latest quotes keyed by symbol."""
        return self._call(calls.latest(symbols, fields, use_cache))

    def get_latest_market_data_batch(
        self, symbols: Iterable[str], *, batch_size: int = 100, use_cache: bool = True
    ) -> MarketDataResult:
        """Latest quotes for any number of symbols, asked `batch_size` at a time (provenance merged)."""
        batches = calls.batches(symbols, batch_size)
        return merge_results(self.get_latest_market_data(batch, use_cache=use_cache) for batch in batches)

    def get_full_market_data(self, symbols: Symbols, fields: Symbols | None = None, depth: int = 5) -> MarketDataResult:
        """Quote, order book and recent trades keyed by symbol."""
        return self._call(calls.full(symbols, fields, depth))

    def get_history_market_data(
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
            days = (self.get_trading_dates(window[1], window[2]))["trading_dates"]
            pages = calls.history_pages(window[0], days, period)
        if not pages:
            result = self._call(calls.history(symbols, start_date, end_date, period, adjust))
        else:
            bar = paging.progress_bar(len(pages), progress, f"history {period}")
            parts = []
            try:
                for page in pages:
                    parts.append(self._call(calls.history(page.symbols, page.start, page.end, period, adjust)))
                    if bar is not None:
                        bar.update(1)
            finally:
                if bar is not None:
                    bar.close()
            result = paging.merge_pages(parts, window[0] if window else [])
        return result.to_pandas() if as_frame else result

    def get_instrument_detail(self, symbols: Symbols) -> MarketDataResult:
        """Instrument details keyed by symbol."""
        return self._call(calls.instrument_detail(symbols))

    def get_trading_dates(
        self, start_date: str | date, end_date: str | date, market: str | None = None
    ) -> MarketDataResult:
        """`{"trading_dates": [...], "total_days": n, "holidays": [...]}`."""
        return self._call(calls.trading_dates(start_date, end_date, market))

    # --- cache -----------------------------------------------------------------------------

    def get_cache_stats(self) -> dict[str, Any]:
        """Hit rates, keys and memory per cache level."""
        return self._call(calls.cache_stats())

    def clear_cache(self, cache_type: str | None = None, level: str | None = None) -> dict[str, Any]:
        """`{"message", "cleared_keys", "freed_memory_mb"}`."""
        return self._call(calls.clear_cache(cache_type, level))

    def optimize_cache(self) -> dict[str, Any]:
        """`{"message", "optimizations", "performance_improvement"}`."""
        return self._call(calls.optimize_cache())

    def get_cache_config(self) -> dict[str, Any]:
        """`{"cache_rules": {...}}`."""
        return self._call(calls.cache_config())

    # --- connection pools ------------------------------------------------------------------

    def create_pool(
        self, name: str, config: Mapping[str, Any], server_nodes: Iterable[Mapping[str, Any]]
    ) -> dict[str, Any]:
        """Create a pool; returns `{"message", "pool_name", "config", "server_nodes_count"}`."""
        return self._call(calls.create_pool(name, config, server_nodes))

    def list_pools(self) -> dict[str, Any]:
        """`{"pools": [...], "total_pools": n}`."""
        return self._call(calls.list_pools())

    def get_pool(self, name: str) -> dict[str, Any]:
        """`{"pool_name", "metrics", "config"}`."""
        return self._call(calls.get_pool(name))

    def scale_pool(self, name: str, target_size: int) -> dict[str, Any]:
        """`{"message", "previous_size", "new_size", "target_size"}`."""
        return self._call(calls.scale_pool(name, target_size))

    def pool_health_check(self, name: str) -> dict[str, Any]:
        """`{"message", "total_nodes", "healthy_nodes", "unhealthy_nodes", "node_details"}`."""
        return self._call(calls.pool_health_check(name))

    # --- monitoring ------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """GET /health as sent (it has no envelope); a 503 still returns the body."""
        call = Call("GET", "/health")
        try:
            response = self._http.get(call.path)
        except httpx.HTTPError as exc:
            raise calls.transport_error(call, self.base_url, exc) from exc
        return calls.health_body(response)

    def get_system_metrics(self) -> dict[str, Any]:
        """CPU, memory, disk, network and process figures."""
        return self._call(calls.system_metrics())

    def get_service_metrics(self) -> dict[str, Any]:
        """Request rate, latency, errors, connections and cache hit rate."""
        return self._call(calls.service_metrics())

    # --- streaming -------------------------------------------------------------------------

    def subscribe(
        self,
        symbols: Iterable[str],
        fields: Iterable[str] | None = None,
        *,
        reconnect: Backoff | None = None,
        replay: Mapping[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """As `ArgusMCPClient.subscribe`, a plain iterator (same resume, dedup, reconnect policy and `replay`)."""
        policy = reconnect or Backoff()
        url = websocket_url(self.base_url)
        resume = Resume(symbols, fields, replay)
        failures = 0
        while True:
            cause: BaseException | None = None
            try:
                with connect(url, **connect_options(self.api_key, self.timeout)) as ws:
                    # A refused key is answered by an error frame and a close, perhaps before this
                    # send: the frame is still read below.
                    with contextlib.suppress(ConnectionClosed):
                        for request in resume.requests():
                            ws.send(json.dumps(request))
                    for raw in ws:
                        failures = 0
                        message = resume.receive(raw)
                        if message is not None:
                            yield message
                        if resume.ended:
                            return  # a replay's recording is over
                    error = refused(ws.close_code, ws.close_reason or resume.refusal or "")
                    if error is not None:
                        raise error
            except (OSError, TimeoutError, WebSocketException) as exc:
                cause = retry_cause(exc, resume, url)
            failures += 1
            if policy.exhausted(failures):
                raise gave_up(url, failures, cause)
            time.sleep(policy.delay(failures))


__all__ = ["ArgusClient"]
