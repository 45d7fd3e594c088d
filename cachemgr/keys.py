"""Every shared key name (cache entries, raw Redis keys, channel groups) comes from here.

Keys are versioned (KEY_VERSION retires every key of an older payload format at once) and
namespaced by ARGUS_NAMESPACE, so two deployments can share one Redis. Django cache keys get the
namespace from the cache's KEY_PREFIX; raw Redis keys carry it themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import orjson
from django.conf import settings

from core.keys import KEY_VERSION, cache_key, redis_key

# The two helpers every key is built with live in core/keys.py (every app names keys with them).
__all__ = ["KEY_VERSION", "cache_key", "redis_key"]


def calendar_version_key() -> str:
    """Bumped whenever the calendar tables change."""
    return cache_key("calendar", "version")


_scopes: dict[bytes, str] = {}
_scope_tokens: list[Callable[[], str]] = []


def register_scope_token(token: Callable[[], str]) -> None:
    """Add what makes the built source's data differ beyond its settings (the files dataset's version,
    what an upstream pool's nodes serve). `token()` must not block: it is read in the event loop too.
    Registered by the market-data app (cachemgr knows nothing of sources)."""
    if token not in _scope_tokens:
        _scope_tokens.append(token)


def data_scope() -> str:
    """A short digest of the configured data source: ARGUS_DATA_SOURCE (backend and options: the
    simulated seed and universe, the upstream pool) plus the registered tokens (the files dataset's
    version, the simulated flag an upstream pool's nodes report).

    Every market-data key carries it, so a value cached under one source is never served for
    another: switching `simulated` to `files` (or another seed, another upstream pool, a re-imported
    dataset) reads and writes other keys, in L1, in Redis and in the L3 table that survives the restart.
    """
    config = orjson.dumps(settings.ARGUS_DATA_SOURCE, option=orjson.OPT_SORT_KEYS, default=str)
    raw = config + b"|" + "|".join(token() for token in _scope_tokens).encode()
    scope = _scopes.get(raw)
    if scope is None:
        if len(_scopes) > 64:
            _scopes.clear()
        scope = _scopes[raw] = hashlib.blake2b(raw, digest_size=5).hexdigest()
    return scope


def market_key(*parts: object) -> str:
    """A cache key for data that came from the data source (scoped by `data_scope()`)."""
    return cache_key("md", data_scope(), *parts)


def latest_quote_key(symbol: str) -> str:
    """The latest quote payload of one symbol (rule LATEST_DATA; written through by the feed)."""
    return market_key("quote", symbol)


def instrument_info_key(symbol: str) -> str:
    """An instrument's reference data (rule BASIC_INFO)."""
    return market_key("instrument", symbol)


def history_key(symbol: str, period: str, start: object, end: object, adjust: str = "none") -> str:
    """Bars of one symbol for one period, date range and price adjustment (rule HISTORY_DATA)."""
    return market_key("history", symbol, period, start, end, adjust)


def cache_entry_key(rule: str, key: str) -> str:
    """Where a cachemgr entry is stored in L2/L3: under its rule, so one rule can be counted and cleared."""
    return f"{rule}:{key}"


def cache_process_key(process_id: str) -> str:
    """One process's published cache counters (expires when the process stops publishing)."""
    return redis_key("cache", "proc", process_id)


def cache_process_pattern() -> str:
    """Matches every process's published cache counters."""
    return redis_key("cache", "proc", "*")


def cache_control_channel() -> str:
    """Pub/sub channel on which clear and optimize requests reach every process."""
    return redis_key("cache", "control")


def cache_reply_key(request_id: str) -> str:
    """List on which processes answer one broadcast request."""
    return redis_key("cache", "reply", request_id)


def cache_rules_version_key() -> str:
    """Bumped whenever a cache rule changes; every process reloads its rules when it moves."""
    return redis_key("cache", "rules", "version")


def cache_optimize_window_key() -> str:
    """The aggregated counters at the last optimize run (so the next run looks at the window since)."""
    return cache_key("cache", "optimize", "window")


# --- Market-data REST API (issue 3). Cached values are the payload dicts of marketdata/payloads.py.


def latest_full_key(symbol: str) -> str:
    """The full snapshot of `symbol` (LATEST_DATA): `payloads.full_payload` dict at the deepest book."""
    return market_key("full", symbol)


def adjust_factors_key(symbol: str) -> str:
    """Cumulative price-adjustment factors of `symbol` per ex-date (BASIC_INFO)."""
    return market_key("adjust", symbol)


def feed_status_key() -> str:
    """The feed's last poll: {"last_poll": epoch seconds, "source": name, "ticks": n, "error": text|None}.

    Written by the feed after every poll (Django default cache, no expiry); read by /health.
    """
    return cache_key("feed", "status")


# --- Live-quote stream (issue 5).


def stream_key(*parts: object) -> str:
    """Raw Redis names of the live-quote stream: sequences, replay streams, pub/sub channel, locks, registries."""
    return redis_key("stream", *parts)


def job_run_key(name: str) -> str:
    """A periodic job's last run: {"started": epoch s, "finished": epoch s, "ok": bool, "detail": text}.

    Written by whoever runs the job (the embedded scheduler, a Celery worker); read by the console.
    """
    return cache_key("jobs", name)
