"""The edge: one outermost ASGI layer that decides, once per request or WebSocket handshake, who the
client is, which policy applies, which API key it presented and whether its rate limit admits it.

Everything behind it only reads the decision it leaves in the scope (`scope[EDGE]`, an
`EdgeDecision`): Django's middleware (`monitoring.middleware`), DRF's authentication, `/mcp`
(`mcpserver.http`) and the WebSocket consumer (`streaming.consumers`). Nothing behind it applies
the guard again, so a request is charged exactly once and by one client identity.

- **Client identity** is `client_address(scope)`, the one function that reads it: the TCP peer,
  or, with ARGUS_TRUST_X_FORWARDED_FOR and a peer in ARGUS_TRUSTED_PROXIES, the right-most address
  of X-Forwarded-For that is not itself a trusted proxy (what a client wrote in front of what the
  proxy appended is not believed). The edge rewrites `scope["client"]` (and `scope["scheme"]` from
  X-Forwarded-Proto) so Django's REMOTE_ADDR, the access log and every limit see the same address.
- **API keys** are checked in a worker thread (`database_sync_to_async`: a database read never runs
  in the event loop); requests without a key are decided from settings alone.
- **Rate limits** are counted by `monitoring.services.ratelimit.rate_limit_count`: a local count
  reconciled with the shared Redis counter in the background, no Redis round trip per request.
- HTTP refusals (401/403/429/503) are answered here in the spec's envelope; a refused WebSocket
  handshake is handed on with the refusal in the decision, because the consumer accepts first so the
  client can read why before the close.
- Every HTTP request is counted in the request metrics and written to the access log once: by
  Django's middleware for what Django routes (its route is the metrics label), by the edge for the
  rest (the fast path, `/mcp`, refusals).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

from channels.db import database_sync_to_async
from django.conf import settings

from core.errors import ApiError, error_body, status_of, translate
from core.renderers import dumps
from monitoring.logfilters import redact_query
from monitoring.models import ApiKey
from monitoring.policy import EXEMPT, Policy, policy_for
from monitoring.services.apikeys import api_key_digest, raw_key_from_headers
from monitoring.services.guard import access_check, client_id, handshake_refusal, over_limit_refusal
from monitoring.services.metrics import request_record
from monitoring.services.ratelimit import RateDecision, rate_limit_count

access_log = logging.getLogger("argus.access")

EDGE = "argus.edge"  # scope key: the EdgeDecision for this request or handshake
OBSERVED = "argus.observed"  # scope key: Django's middleware counted and logged this request

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
# streaming registers the hub's handshake key cache here (one lookup for handshakes arriving together,
# forgotten in every process when a key changes): (digest, lookup) -> the key's prefix.
HandshakeKeyCache = Callable[[str, Callable[[], Coroutine[Any, Any, str]]], Awaitable[str]]
_handshake_key_cache: list[HandshakeKeyCache] = []


@dataclass(frozen=True, slots=True)
class EdgeDecision:
    """What the edge decided for one request or handshake; read-only for everything behind it."""

    client: str  # the client's address (client_address)
    policy: Policy
    api_key: ApiKey | None  # the key an HTTP request presented, authenticated and authorised
    key_prefix: str | None  # its prefix (HTTP and WebSocket): what limits count and logs show
    rate: RateDecision | None  # the rate limit's answer, None when the path has no rate class
    refusal: ApiError | None = None  # set only for WebSocket handshakes (HTTP refusals are answered here)

    def rate_headers(self) -> dict[str, str]:
        return self.rate.headers() if self.rate is not None else {}

    def raw_rate_headers(self) -> list[tuple[bytes, bytes]]:
        return self.rate.raw_headers() if self.rate is not None else []


def register_handshake_key_cache(cache: HandshakeKeyCache) -> None:
    """Called by streaming when it loads (the cache lives in the per-process hub, above monitoring)."""
    _handshake_key_cache[:] = [cache]


def _trusted(address: str, proxies: list[str]) -> bool:
    if "*" in proxies:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for proxy in proxies:
        try:
            if ip in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    values = [value.decode("latin-1") for key, value in scope.get("headers", []) if key.lower() == name]
    return ", ".join(values) if values else None


def client_address(scope: Mapping[str, Any]) -> str:
    """The client of a request or handshake: the one place that decides it (see the module doc)."""
    peer = str((scope.get("client") or ("", 0))[0] or "")
    if not settings.ARGUS_TRUST_X_FORWARDED_FOR:
        return peer
    proxies = settings.ARGUS_TRUSTED_PROXIES
    if not _trusted(peer, proxies):
        return peer
    forwarded = _header(scope, b"x-forwarded-for")
    if not forwarded:
        return peer
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer


def _forwarded_scheme(scope: Mapping[str, Any]) -> str | None:
    """X-Forwarded-Proto from a trusted proxy (the scheme the client used), else None."""
    peer = str((scope.get("client") or ("", 0))[0] or "")
    if not settings.ARGUS_TRUST_X_FORWARDED_FOR or not _trusted(peer, settings.ARGUS_TRUSTED_PROXIES):
        return None
    proto = (_header(scope, b"x-forwarded-proto") or "").split(",")[-1].strip().lower()
    if proto not in ("http", "https"):
        return None
    return proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]


def _is_preflight(scope: Mapping[str, Any]) -> bool:
    """A CORS preflight: answered by Django's CorsMiddleware, never charged or asked for a key."""
    return (
        scope.get("method") == "OPTIONS"
        and _header(scope, b"origin") is not None
        and _header(scope, b"access-control-request-method") is not None
    )


def _raw_key(scope: Mapping[str, Any]) -> str | None:
    query = scope.get("query_string", b"")
    return raw_key_from_headers(
        _header(scope, b"authorization"),
        _header(scope, b"x-api-key"),
        query.decode("latin-1") if isinstance(query, bytes) else str(query),
    )


async def _check_key(policy: Policy, raw_key: str | None) -> ApiKey | None:
    if raw_key is None:
        return access_check(policy, None)  # settings alone: no database
    # A database read: in a worker thread, which gives its connection back afterwards.
    return await database_sync_to_async(access_check)(policy, raw_key)


async def decide_http(scope: Mapping[str, Any], client: str) -> EdgeDecision:
    """The decision for one HTTP request; raises the spec's ApiError to refuse it."""
    policy = policy_for(str(scope.get("path", "")), str(scope.get("method", "GET")))
    if policy is EXEMPT or _is_preflight(scope):
        return EdgeDecision(client, EXEMPT, None, None, None)
    api_key = await _check_key(policy, _raw_key(scope))
    prefix = api_key.prefix if api_key is not None else None
    rate = None
    if policy.rate_class is not None:
        rate = rate_limit_count(client_id(api_key, client), policy.rate_class)
        over_limit_refusal(policy, rate)
    return EdgeDecision(client, policy, api_key, prefix, rate)


async def decide_handshake(scope: Mapping[str, Any], client: str) -> EdgeDecision:
    """The decision for one WebSocket handshake: its key (through the hub's cache when streaming
    registered it), then the client's handshake count; a refusal is kept in the decision."""
    policy = policy_for(str(scope.get("path", "")), "GET")
    if policy is EXEMPT:
        return EdgeDecision(client, EXEMPT, None, None, None)
    prefix: str | None = None
    rate = None
    try:
        raw = _raw_key(scope)
        if raw is None:
            access_check(policy, None)
        else:

            async def lookup() -> str:
                key = await _check_key(policy, raw)
                assert key is not None  # a presented key is returned or refused
                return key.prefix

            cache = _handshake_key_cache[0] if _handshake_key_cache else None
            prefix = await (cache(api_key_digest(raw), lookup) if cache is not None else lookup())
        if policy.rate_class is not None:
            who = f"key:{prefix}" if prefix is not None else f"ip:{client or 'unknown'}"
            rate = rate_limit_count(f"handshake:{who}", policy.rate_class)
            handshake_refusal(rate)
    except ApiError as refused:
        return EdgeDecision(client, policy, None, prefix, rate, refused)
    return EdgeDecision(client, policy, None, prefix, rate)


class FastAnswer(Protocol):
    """What the edge asks of a lean path it tries first (marketdata.fastpath.CachedReadFastPath):
    answer an HTTP request itself, with the edge's extra headers, or return False untouched."""

    async def answer(self, scope: Scope, send: Send, extra_headers: list[tuple[bytes, bytes]]) -> bool: ...


class Edge:
    """The outermost ASGI layer (argus_site/asgi.py): decides, then hands on with the decision.

    With `fast`, an admitted HTTP request is first offered to it directly, before the layers of
    `app` (body limit, /mcp, lifespan, the protocol router: none of them does anything for a
    cached GET, and each wrapped every message): what it answers is observed here like the rest."""

    def __init__(self, app: Any, *, fast: FastAnswer | None = None) -> None:
        self.app = app
        self.fast = fast

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = client_address(scope)
        scope = dict(scope)
        peer = scope.get("client") or ("", 0)
        if client != peer[0]:
            scope["client"] = (client, 0)
        scheme = _forwarded_scheme(scope)
        if scheme is not None:
            scope["scheme"] = scheme
        if scope["type"] == "websocket":
            scope[EDGE] = await decide_handshake(scope, client)
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            decision = await decide_http(scope, client)
        except Exception as exc:  # ApiError refusals; a failing check answers in the envelope too
            status = await _refuse(send, exc)
            _observe(scope, status, started, client, None)
            return
        scope[EDGE], scope[OBSERVED] = decision, False
        if self.fast is not None and await self.fast.answer(scope, send, decision.raw_rate_headers()):
            _observe(scope, 200, started, client, decision.key_prefix)
            return
        status = await self._forward(scope, receive, send, decision)
        if not scope[OBSERVED]:
            _observe(scope, status, started, client, decision.key_prefix)

    async def _forward(self, scope: Scope, receive: Receive, send: Send, decision: EdgeDecision) -> int:
        seen = {"status": 0}
        extra = decision.raw_rate_headers()

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                if extra:
                    present = {name.lower() for name, _ in message.get("headers", [])}
                    missing = [h for h in extra if h[0] not in present]
                    message = {**message, "headers": [*message.get("headers", []), *missing]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
        return seen["status"]


async def _refuse(send: Send, exc: Exception) -> int:
    code, details, extra = translate(exc)
    status = status_of(code, exc)
    body = dumps(error_body(code, details))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(name.lower().encode(), value.encode()) for name, value in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return status


def _observe(scope: Mapping[str, Any], status: int, started: float, client: str, key: str | None) -> None:
    ms = (time.perf_counter() - started) * 1000
    path = str(scope.get("path", ""))
    if not path.startswith(settings.ARGUS_METRICS_EXCLUDE):
        request_record(endpoint=path, status=status, duration_ms=ms)
    raw_query = scope.get("query_string", b"")
    query = redact_query(raw_query.decode("latin-1") if isinstance(raw_query, bytes) else str(raw_query))
    access_log.info(
        "%s %s%s %s %.1fms client=%s key=%s",
        scope.get("method"),
        path,
        f"?{query}" if query else "",
        status,
        ms,
        client,
        key or "-",
    )


def edge_decision(scope: Mapping[str, Any] | None) -> EdgeDecision | None:
    """The decision the edge left in `scope` (None when the app was reached without the edge)."""
    return None if scope is None else scope.get(EDGE)
