"""The latest-quote bytes store: each symbol's /latest quote, serialised once per tick by the feed.

The feed (streaming's tick ingest) writes every changed quote here as the bytes orjson made of it,
beside the LATEST_DATA cache entry (whose dict the Django view, MCP and the WebSocket snapshot
read). The ASGI fast path assembles /latest from these bytes without parsing or re-serialising
them (field filters aside), and reads 100 symbols in one HMGET. With Redis it is one hash per
deployment (`<ns>:v<N>:quotebytes`: symbol -> `stored_at|timestamp|json`), copied into each
process for at most ARGUS_CACHE_L1_REFRESH seconds (as L1 copies are); in the embedded default the
process's own dict is the store (the feed runs in that process). An entry is served while
LATEST_DATA's TTL holds from the moment it was stored, so a feed that stopped is not served from
here past the TTL; clearing LATEST_DATA (the cache API) clears it too.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings

from core.keys import redis_key
from core.redis import ASYNC_TIMEOUT, async_redis, shared_redis


@dataclass(frozen=True, slots=True)
class QuoteBytes:
    stored_at: float  # core.clock timestamp of the write (the cache age is measured from it)
    timestamp: str  # the quote's own timestamp (the answer's as_of)
    body: bytes  # the quote as JSON, exactly as /latest sends it


_lock = threading.Lock()
_local: dict[str, tuple[float, QuoteBytes]] = {}  # symbol -> (monotonic time copied, entry)


def _key() -> str:
    return redis_key("quotebytes")


def _encode(entry: QuoteBytes) -> bytes:
    return f"{entry.stored_at!r}|{entry.timestamp}|".encode() + entry.body


def _decode(raw: bytes) -> QuoteBytes | None:
    try:
        stored_at, timestamp, body = raw.split(b"|", 2)
        return QuoteBytes(float(stored_at), timestamp.decode(), body)
    except ValueError:
        return None


def quote_bytes_put(entries: Iterable[tuple[str, QuoteBytes]]) -> None:
    """Write a batch of quotes (the feed, once per tick batch): one HSET with Redis. Best effort:
    the fast path falls back to the cache (and then Django) for a symbol it does not find here."""
    batch = dict(entries)
    if not batch:
        return
    now = time.monotonic()
    with _lock:
        for symbol, entry in batch.items():
            _local[symbol] = (now, entry)
    redis = shared_redis()
    if redis is not None:
        from cachemgr.services.backends import outage

        if not outage.usable():
            return
        try:
            redis.hset(_key(), mapping={symbol: _encode(entry) for symbol, entry in batch.items()})
        except Exception as exc:
            outage.failed(exc)


async def quote_bytes_get(symbols: Sequence[str], now: float) -> list[QuoteBytes | None]:
    """Each symbol's fresh entry (None: not stored, or older than LATEST_DATA's TTL), without
    blocking the loop: process copies younger than ARGUS_CACHE_L1_REFRESH, the rest in one HMGET."""
    from cachemgr.services.backends import outage
    from cachemgr.services.rules import rulebook

    ttl = rulebook.get("LATEST_DATA").ttl
    refresh = settings.ARGUS_CACHE_L1_REFRESH
    found: list[QuoteBytes | None] = [None] * len(symbols)
    wanted: list[int] = []
    mono = time.monotonic()
    shared = settings.USE_REDIS
    for index, symbol in enumerate(symbols):
        copy = _local.get(symbol)
        if copy is not None and (not shared or mono - copy[0] < refresh):
            found[index] = copy[1]
        elif shared:
            wanted.append(index)
    if wanted:
        redis = async_redis()
        if redis is not None and outage.closed():
            try:
                raw = await asyncio.wait_for(redis.hmget(_key(), [symbols[i] for i in wanted]), timeout=ASYNC_TIMEOUT)
            except Exception as exc:
                outage.failed(exc)
                raw = [None] * len(wanted)
            with _lock:
                for index, value in zip(wanted, raw, strict=True):
                    entry = None if value is None else _decode(value)
                    if entry is not None:
                        _local[symbols[index]] = (mono, entry)
                        found[index] = entry
    return [entry if entry is not None and now < entry.stored_at + ttl else None for entry in found]


def quote_bytes_clear(*, shared: bool) -> int:
    """Forget this process's copies (and, with `shared`, the Redis hash); the number forgotten here."""
    with _lock:
        count = len(_local)
        _local.clear()
    if shared:
        redis = shared_redis()
        if redis is not None:
            redis.delete(_key())
    return count


def quote_bytes_count(hits: int) -> None:
    """Count `hits` LATEST_DATA reads answered from here, as cache hits of the rule (and of L1, the
    process copy, as the cache statistics show it)."""
    from cachemgr.services import state

    state.counters.hits("LATEST_DATA", "L1", hits)
