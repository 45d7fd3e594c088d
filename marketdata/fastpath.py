"""A lean ASGI path for cached GET /api/v1/market_data/latest, /history, /full and /instrument_detail.

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

Bytes built once: /latest is assembled from the quotes the feed serialised once per tick
(cachemgr/services/quotebytes.py). Every other answer the selectors build here is kept as the bytes
it sent (cachemgr/services/rendered.py) and sent again while the values it was built from are
unchanged (at most ARGUS_CACHE_L1_REFRESH seconds, never past their TTL), with only the per-request
fields (cache age, timestamp, response_time_ms, degraded) measured per request. A /full snapshot is
rendered on its first request after it was cached, not by the feed on every tick: its recent trades
are a separate source call that the feed does not make for every symbol it polls.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson
from django.conf import settings
from rest_framework import serializers

from cachemgr.keys import data_scope
from cachemgr.services import LoopMiss, LoopView, cache_read_ahead, loop_view
from cachemgr.services.quotebytes import quote_bytes_count, quote_bytes_get
from cachemgr.services.rendered import Rendered, rendered_count, rendered_get, rendered_put
from cachemgr.services.rules import rulebook
from core import clock
from core.compress import accepts_gzip, gzip_parts
from core.envelope import success, utc_timestamp
from core.renderers import dumps
from marketdata.payloads import full_selection, provenance_of, select_fields
from marketdata.selectors.common import source_identity
from marketdata.selectors.history import cached_history_bars
from marketdata.selectors.quotes import cached_latest_quotes, full_snapshots
from marketdata.selectors.reference import instrument_details
from marketdata.serializers import FullQuery, HistoryQuery, InstrumentQuery, LatestQuery
from marketdata.views.common import degraded_extra
from marketdata.views.history import history_envelope
from marketdata.views.quotes import latest_envelope

logger = logging.getLogger("argus.fastpath")

_HEADERS = [(b"content-type", b"application/json"), (b"x-content-type-options", b"nosniff")]
Params = dict[str, str]
RawHeaders = list[tuple[bytes, bytes]]
# Read-ahead rounds beyond two per symbol (instrument_detail reads an info and a quote key each):
# a selector that stops at its first missing key (cache_fetch in a loop view raises LoopMiss)
# learns one key a round; a history answer may need a second key once the first is read.
READ_AHEAD_EXTRA_ROUNDS = 2


def _params(raw: bytes) -> Params | None:
    """Single-valued query parameters; None when one is repeated (Django says what is wrong)."""
    parsed = parse_qs(raw.decode("latin-1"), keep_blank_values=True)
    parsed.pop("api_key", None)  # the edge has checked it (monitoring/edge.py)
    if any(len(values) > 1 for values in parsed.values()):
        return None
    return {name: values[0] for name, values in parsed.items()}


def _validated(serializer_class: type[serializers.Serializer], handled: frozenset[str], params: Params) -> Any:
    """The view's own query serializer's validated data (the same rules, not a copy of them), or
    None: invalid (Django renders the error), a parameter the fast path does not handle, or
    use_cache=false."""
    if not params.keys() <= handled:
        return None
    serializer = serializer_class(data=params)
    if not serializer.is_valid():
        return None
    query = serializer.validated_data
    return query if query.get("use_cache", True) else None


# The same query string validates the same way for a moment: building a DRF serializer per request
# was a third of the event loop's time on cached /latest (bench/http_api.py's profile). A query is
# validated by the serializer once, then reused for VALIDATED_SECONDS (a rule that depends on the
# date, such as a calendar's coverage, is at most that stale; invalid queries are never kept).
VALIDATED_SECONDS = 1.0
_validated_cache: dict[tuple[str, bytes], tuple[float, Any]] = {}


def _recently_validated(path: str, raw: bytes) -> Any:
    found = _validated_cache.get((path, raw))
    if found is None or found[0] < time.monotonic():
        return None
    return found[1]


def _remember_validated(path: str, raw: bytes, query: Any) -> None:
    if len(_validated_cache) >= 10_000:
        _validated_cache.clear()
    _validated_cache[(path, raw)] = (time.monotonic() + VALIDATED_SECONDS, query)


async def _latest_from_bytes(query: Any, started: float) -> dict[str, Any] | None:
    """/latest from the feed's serialised quotes (cachemgr/services/quotebytes.py): one batched read,
    the quotes' bytes placed in the envelope as they are (orjson.Fragment), parsed only to filter fields."""
    symbols: list[str] = query["symbols"]
    fields: list[str] | None = query.get("fields")
    now = clock.timestamp()
    entries = await quote_bytes_get(symbols, now)
    oldest = now
    as_of: str | None = None
    parts: list[bytes] = []
    data: dict[str, Any] = {}
    for symbol, entry in zip(symbols, entries, strict=True):
        if entry is None:
            return None
        oldest = min(oldest, entry.stored_at)
        as_of = entry.timestamp if as_of is None else min(as_of, entry.timestamp)
        if fields is None:
            # A validated symbol (digits, a dot, two capitals) needs no escaping in JSON.
            parts.append(b'"' + symbol.encode() + b'":' + entry.body)
        else:
            data[symbol] = select_fields(orjson.loads(entry.body), fields)
    quote_bytes_count(len(symbols))
    name, simulated = source_identity()
    body = success(
        orjson.Fragment(b"{" + b",".join(parts) + b"}") if fields is None else data,
        cache_hit=True,
        cache_age_seconds=round(max(0.0, now - oldest), 3),
        source=provenance_of(name, simulated=simulated, as_of=as_of),
        response_time_ms=_ms(started),
        **degraded_extra(),
    )
    return body


def _latest(query: Any, started: float) -> dict[str, Any] | None:
    result = cached_latest_quotes(symbols=query["symbols"], fields=query.get("fields"))
    return None if result is None else latest_envelope(result, response_time_ms=_ms(started))


def _history(query: Any, started: float) -> dict[str, Any] | None:
    if query["format"] != "json":
        return None
    result = cached_history_bars(
        symbols=query["symbols"],
        start=query["start_date"],
        end=query["end_date"],
        period=query["period"],
        adjust=query["adjust"],
        adjust_anchor=query.get("adjust_anchor"),
    )
    return None if result is None else history_envelope(result, response_time_ms=_ms(started))


def _full(query: Any, started: float) -> dict[str, Any] | None:
    """/full: the view's selector itself, in the loop view (a value not cached raises LoopMiss)."""
    selection = full_selection(query.get("fields"))
    result = full_snapshots(
        symbols=query["symbols"], sections=selection.sections, depth=query["depth"], selection=selection
    )
    return _envelope(result, started)


def _instrument_detail(query: Any, started: float) -> dict[str, Any] | None:
    """/instrument_detail: the view's selector itself, in the loop view."""
    return _envelope(instrument_details(symbols=query["symbols"]), started)


def _envelope(result: Any, started: float) -> dict[str, Any]:
    """What the views' json_response sends."""
    return success(
        result.data,
        cache_hit=result.cache_hit,
        cache_age_seconds=result.cache_age_seconds,
        source=result.source,
        response_time_ms=_ms(started),
        **degraded_extra(),
    )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


@dataclass(frozen=True)
class Route:
    serializer: type[serializers.Serializer]
    handled: frozenset[str]  # the serializer's parameters this path honours (a test holds it to all of them)
    answer: Callable[[Any, float], dict[str, Any] | None]


ROUTES: dict[str, Route] = {
    "/api/v1/market_data/latest": Route(LatestQuery, frozenset({"symbols", "fields", "use_cache"}), _latest),
    "/api/v1/market_data/history": Route(
        HistoryQuery,
        frozenset({"symbols", "start_date", "end_date", "period", "adjust", "adjust_anchor", "format", "use_cache"}),
        _history,
    ),
    "/api/v1/market_data/full": Route(FullQuery, frozenset({"symbols", "fields", "depth", "use_cache"}), _full),
    "/api/v1/market_data/instrument_detail": Route(
        InstrumentQuery, frozenset({"symbols", "use_cache"}), _instrument_detail
    ),
}
LATEST = "/api/v1/market_data/latest"


class CachedReadFastPath:
    """Wraps the HTTP app; serves fully cached /latest and /history requests itself."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def _answer(self, route: Route, query: Any, started: float) -> dict[str, Any] | None:
        try:
            body = route.answer(query, started)
        except LoopMiss:
            return None  # the view noted the keys it lacked
        except Exception as exc:
            # Django answers instead: it renders errors and loads what this process lacks.
            logger.debug("fast path deferred to Django: %r", exc)
            return None
        return body

    async def _answer_in_loop(self, scope: dict[str, Any]) -> dict[str, Any] | Reused | None:
        """The answer from the cache without a blocking call. /latest first from the feed's
        serialised quotes; otherwise the selector runs against a loop view (cachemgr), the L2 keys
        it lacked are read ahead in one asyncio MGET, and it runs again; still missing after
        the rounds allowed, the request goes to Django."""
        route = ROUTES.get(scope["path"])
        if route is None or scope["method"] != "GET":
            return None
        started = time.perf_counter()  # response_time_ms includes the reads
        raw = scope.get("query_string", b"")
        query = _recently_validated(scope["path"], raw)
        if query is None:
            params = _params(raw)
            try:
                query = None if params is None else _validated(route.serializer, route.handled, params)
            except Exception as exc:  # a validator that needs what this process lacks
                logger.debug("fast path deferred to Django: %r", exc)
                return None
            if query is not None:
                _remember_validated(scope["path"], raw, query)
        if query is None:
            return None
        if scope["path"] == LATEST:
            try:
                body = await _latest_from_bytes(query, started)
            except Exception as exc:
                logger.debug("fast path: quote bytes unusable: %r", exc)
                body = None
            if body is not None:
                return body
        key = (scope["path"], raw, data_scope())
        now = clock.timestamp()
        rendered = rendered_get(key, now)
        if rendered is not None:
            rendered_count(rendered)
            return _reused(rendered, now, started)
        view = LoopView()
        for _ in range(2 * len(query.get("symbols", ())) + READ_AHEAD_EXTRA_ROUNDS):
            with loop_view(view):
                body = self._answer(route, query, started)
                if body is not None:
                    rules = tuple(view.rules)
                    view.count()  # the cache reads of the selectors run in the view, counted once
            if body is not None:
                if rules:
                    rendered_put(key, _rendering(body, rules, now))
                return body
            if not view.missing:
                return None
            await cache_read_ahead(view)
        return None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and await self.answer(scope, send, []):
            return
        await self.app(scope, receive, send)

    async def answer(self, scope: Any, send: Any, extra_headers: RawHeaders) -> bool:
        """Answer `scope` from the cache (200, with `extra_headers`: the edge's rate-limit headers),
        or return False having sent nothing. The edge (monitoring/edge.py) calls this directly;
        `__call__` is the same as an ASGI layer in front of Django. A request body is not read:
        the paths served here are GETs, and uvicorn discards what a finished request left unread."""
        body = await self._answer_in_loop(scope)
        if body is None:
            return False
        request_headers = scope.get("headers", [])
        payload, headers = body.encoded(request_headers) if isinstance(body, Reused) else encoded(body, request_headers)
        headers = [*_HEADERS, *headers, (b"content-length", b"%d" % len(payload)), *extra_headers]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
        return True


_HEAD = b'{"success":true,"data":'


# Left out of a rendered answer's fields: set again on every reuse (with cache_age_seconds and
# response_time_ms, which keep their places).
_NOT_KEPT = ("success", "data", "degraded", "timestamp")


def _rendering(body: dict[str, Any], rules: tuple[str, ...], now: float) -> Rendered:
    """What a reuse of this cached answer needs: its data as bytes, and how long that stays true."""
    age = body.get("cache_age_seconds") or 0.0
    stored_at = now - age
    ttl = min((rulebook.get(rule).ttl for rule in rules), default=0.0)
    return Rendered(
        data=dumps(body["data"]),
        fields={name: value for name, value in body.items() if name not in _NOT_KEPT},
        stored_at=stored_at,
        expires=stored_at + ttl,
        copied=time.monotonic(),
        rules=rules,
    )


@dataclass(frozen=True, slots=True)
class Reused:
    """A rendered answer sent again: its data bytes as they are, the per-request fields measured now."""

    data: bytes
    rest: dict[str, Any]

    def encoded(self, request_headers: RawHeaders) -> tuple[bytes, RawHeaders]:
        return _encoded_parts(self.data, self.rest, request_headers)


def _reused(rendered: Rendered, now: float, started: float) -> Reused:
    rest = dict(rendered.fields)
    rest["cache_age_seconds"] = round(max(0.0, now - rendered.stored_at), 3)
    rest.update(degraded_extra())
    rest["timestamp"] = utc_timestamp()
    rest["response_time_ms"] = _ms(started)  # measured last: it includes building the rest
    return Reused(rendered.data, rest)


def encoded(
    body: dict[str, Any], request_headers: list[tuple[bytes, bytes]]
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The envelope as bytes, gzip-encoded when the client accepts it and it is at least
    ARGUS_HTTP_GZIP_MIN_BYTES long. The data part (the same for every request of one cached value)
    is compressed once per content (core/compress.py); only the envelope around it per request."""
    rest = {name: value for name, value in body.items() if name not in ("success", "data")}
    return _encoded_parts(dumps(body["data"]), rest, request_headers)


def _encoded_parts(data: bytes, rest_fields: dict[str, Any], request_headers: RawHeaders) -> tuple[bytes, RawHeaders]:
    rest = dumps(rest_fields)
    parts = [_HEAD, data, b"," + rest[1:]]  # success() puts success, data, then the rest, in this order
    minimum = settings.ARGUS_HTTP_GZIP_MIN_BYTES
    if minimum and sum(map(len, parts)) >= minimum and accepts_gzip(request_headers):
        return gzip_parts(parts, 1), [(b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding")]
    return b"".join(parts), [(b"vary", b"Accept-Encoding")] if minimum else []
