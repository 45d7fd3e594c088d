"""A lean ASGI path for cached GET /api/v1/market_data/latest and /history.

Django's ASGI handler hops threads on every request (about 1 ms here, see PERFORMANCE.md). A
request whose answer is all in the cache needs none of that: this app answers it in the event
loop from the cached payloads (`cached_latest_quotes`, `cached_history_bars`: the same selector
contract and envelopes as the Django views) and hands everything else to Django untouched: other
paths and methods, misses, use_cache=false, format=csv, and any request whose parameters are not
plainly valid, so every error still comes from the one exception handler. A selector that would
need the database here (a calendar or instrument list not yet loaded in this process) raises
Django's SynchronousOnlyOperation, and the request goes to Django, which loads it.

Nothing here blocks the event loop: the selectors run against a cachemgr `LoopView`, which reads
L2 only from what was read ahead with redis-py's asyncio client (one MGET for every key a round
lacked, bounded by core.redis.ASYNC_TIMEOUT) and never touches L3 (the database).
`tests/test_event_loop.py` fails if a blocking call appears here or on the edge. While Redis is
failing, L2 is not read here at all (its outage breaker decides, and the probes of whether Redis is
back run on Django's threads): the answer comes from L1, or the request goes to Django.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import parse_qs

from cachemgr.services import LoopView, cache_read_ahead, loop_view
from core.renderers import dumps
from marketdata.payloads import QUOTE_FIELDS
from marketdata.selectors.history import HISTORY_MAX_SYMBOLS, cached_history_bars
from marketdata.selectors.quotes import LATEST_MAX_SYMBOLS, cached_latest_quotes
from marketdata.sources.base import PERIODS
from marketdata.symbols import InvalidSymbol, parse_symbols
from marketdata.views.history import history_envelope
from marketdata.views.quotes import latest_envelope

logger = logging.getLogger("argus.fastpath")

_TRUE = {"true", "True", "1"}
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_HEADERS = [(b"content-type", b"application/json"), (b"x-content-type-options", b"nosniff")]
Params = dict[str, str]
# A history answer may need a second key once the first is read (e.g. the window, then its factors).
READ_AHEAD_ROUNDS = 3


def _params(raw: bytes, allowed: set[str]) -> Params | None:
    """Single-valued query parameters among `allowed`, asking for cached data; None otherwise."""
    parsed = parse_qs(raw.decode("latin-1"), keep_blank_values=True)
    parsed.pop("api_key", None)  # the edge has checked it (monitoring/edge.py)
    if not parsed.keys() <= allowed or any(len(values) > 1 for values in parsed.values()):
        return None
    params = {name: values[0] for name, values in parsed.items()}
    return None if params.get("use_cache", "true") not in _TRUE else params


def _symbols(params: Params, maximum: int) -> list[str] | None:
    try:
        return parse_symbols(params.get("symbols", ""), maximum=maximum)
    except InvalidSymbol:
        return None


def _latest(params: Params, started: float) -> dict[str, Any] | None:
    symbols = _symbols(params, LATEST_MAX_SYMBOLS)
    fields = None
    if "fields" in params:
        fields = list(dict.fromkeys(item.strip() for item in params["fields"].split(",") if item.strip()))
        if not fields or not set(fields) <= set(QUOTE_FIELDS):
            return None
    if symbols is None:
        return None
    result = cached_latest_quotes(symbols=symbols, fields=fields)
    return None if result is None else latest_envelope(result, response_time_ms=_ms(started))


def _history(params: Params, started: float) -> dict[str, Any] | None:
    symbols = _symbols(params, HISTORY_MAX_SYMBOLS)
    start, end = params.get("start_date", ""), params.get("end_date", "")
    period, adjust = params.get("period", "1d"), params.get("adjust", "none")
    anchor_text = params.get("adjust_anchor")
    if (
        symbols is None
        or params.get("format", "json") != "json"
        or not (_DATE.match(start) and _DATE.match(end))
        or period not in PERIODS
        or adjust not in ("none", "pre", "post")
        or (anchor_text is not None and (adjust == "none" or not _DATE.match(anchor_text)))
    ):
        return None
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
        anchor = date.fromisoformat(anchor_text) if anchor_text is not None else None
    except ValueError:
        return None
    if first > last:
        return None
    result = cached_history_bars(
        symbols=symbols, start=first, end=last, period=period, adjust=adjust, adjust_anchor=anchor
    )
    return None if result is None else history_envelope(result, response_time_ms=_ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


ROUTES: dict[str, tuple[set[str], Callable[[Params, float], dict[str, Any] | None]]] = {
    "/api/v1/market_data/latest": ({"symbols", "fields", "use_cache"}, _latest),
    "/api/v1/market_data/history": (
        {"symbols", "start_date", "end_date", "period", "adjust", "adjust_anchor", "format", "use_cache"},
        _history,
    ),
}


class CachedReadFastPath:
    """Wraps the HTTP app; serves fully cached /latest and /history requests itself."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def _answer(self, scope: dict[str, Any], started: float) -> bytes | None:
        route = ROUTES.get(scope["path"])
        if route is None or scope["method"] != "GET":
            return None
        params = _params(scope.get("query_string", b""), route[0])
        if params is None:
            return None
        try:
            body = route[1](params, started)
        except Exception as exc:
            # Django answers instead: it renders errors and loads what this process lacks.
            logger.debug("fast path deferred to Django: %r", exc)
            return None
        return None if body is None else dumps(body)

    async def _answer_in_loop(self, scope: dict[str, Any]) -> bytes | None:
        """The answer from the cache without a blocking call: the selector runs against a loop
        view (cachemgr), the L2 keys it lacked are read ahead in one asyncio MGET, and it runs
        again; still missing after READ_AHEAD_ROUNDS, the request goes to Django."""
        if scope["path"] not in ROUTES or scope["method"] != "GET":
            return None
        started = time.perf_counter()  # response_time_ms includes the read-ahead
        view = LoopView()
        for _ in range(READ_AHEAD_ROUNDS):
            with loop_view(view):
                body = self._answer(scope, started)
            if body is not None or not view.missing:
                return body
            await cache_read_ahead(view)
        return None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            body = await self._answer_in_loop(scope)
            if body is not None:
                headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
