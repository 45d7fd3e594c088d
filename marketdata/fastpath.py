"""A lean ASGI path for cached GET /api/v1/market_data/latest.

Django's ASGI handler hops threads on every request (about 1 ms here, see PERFORMANCE.md). A
request for quotes that are all in the cache needs none of that: this app answers it in the
event loop from the cached quote payloads (`cached_latest_quotes`, the same selector contract and
envelope as the Django view) and hands everything else to Django untouched: other paths and
methods, misses, use_cache=false, and any request whose parameters are not plainly valid, so
every error still comes from the one exception handler.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import parse_qs

from argus_site.api.renderers import dumps
from marketdata.payloads import QUOTE_FIELDS
from marketdata.selectors.quotes import LATEST_MAX_SYMBOLS, cached_latest_quotes
from marketdata.symbols import InvalidSymbol, parse_symbols
from marketdata.views.quotes import latest_envelope

logger = logging.getLogger("argus.fastpath")

PATH = "/api/v1/market_data/latest"
_TRUE = {"true", "True", "1"}
_HEADERS = [(b"content-type", b"application/json")]


def _query(raw: bytes) -> tuple[list[str], list[str] | None] | None:
    """(symbols, fields) when the query is plainly valid and asks for cached data; None otherwise."""
    params = parse_qs(raw.decode("latin-1"), keep_blank_values=True)
    if not params.keys() <= {"symbols", "fields", "use_cache"} or any(len(v) > 1 for v in params.values()):
        return None
    if "use_cache" in params and params["use_cache"][0] not in _TRUE:
        return None
    try:
        symbols = parse_symbols(params.get("symbols", [""])[0], maximum=LATEST_MAX_SYMBOLS)
    except InvalidSymbol:
        return None
    fields = None
    if "fields" in params:
        fields = list(dict.fromkeys(item.strip() for item in params["fields"][0].split(",") if item.strip()))
        if not fields or not set(fields) <= set(QUOTE_FIELDS):
            return None
    return symbols, fields


class LatestFastPath:
    """Wraps the HTTP app; serves fully cached /latest requests itself."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def _answer(self, scope: dict[str, Any]) -> bytes | None:
        started = time.perf_counter()
        parsed = _query(scope.get("query_string", b""))
        if parsed is None:
            return None
        try:
            result = cached_latest_quotes(symbols=parsed[0], fields=parsed[1])
        except Exception:
            # A cache outage is Django's to report (CACHE_ERROR or a source read); never half-answer here.
            logger.warning("fast path fell back to Django", exc_info=True)
            return None
        if result is None:
            return None
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        return dumps(latest_envelope(result, response_time_ms=elapsed))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            body = self._answer(scope)
            if body is not None:
                headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
