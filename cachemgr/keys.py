"""Every shared key name (cache entries, raw Redis keys, channel groups) comes from here.

Keys are versioned (KEY_VERSION retires every key of an older payload format at once) and
namespaced by ARGUS_NAMESPACE, so two deployments can share one Redis. Django cache keys get the
namespace from the cache's KEY_PREFIX; raw Redis keys carry it themselves.
"""

from __future__ import annotations

from django.conf import settings

KEY_VERSION = 1


def cache_key(*parts: object) -> str:
    """A key for Django's cache API (the namespace is added by KEY_PREFIX)."""
    return ":".join([f"v{KEY_VERSION}", *(str(part) for part in parts)])


def redis_key(*parts: object) -> str:
    """A key used on a raw Redis connection (streams, counters, locks, pub/sub channels)."""
    return ":".join([settings.ARGUS_NAMESPACE, f"v{KEY_VERSION}", *(str(part) for part in parts)])


def calendar_version_key() -> str:
    """Bumped whenever the calendar tables change."""
    return cache_key("calendar", "version")


# --- Market-data REST API (issue 3). Cached values are the payload dicts of marketdata/payloads.py.


def latest_quote_key(symbol: str) -> str:
    """The latest quote of `symbol` (LATEST_DATA): `payloads.quote_payload` dict; the feed writes it."""
    return cache_key("quote", symbol)


def latest_full_key(symbol: str) -> str:
    """The full snapshot of `symbol` (LATEST_DATA): `payloads.full_payload` dict at the deepest book."""
    return cache_key("full", symbol)


def history_key(symbol: str, period: str, start: object, end: object, adjust: str) -> str:
    """Bars of `symbol` for one window (HISTORY_DATA): a list of `payloads.bar_payload` dicts."""
    return cache_key("history", symbol, period, start, end, adjust)


def adjust_factors_key(symbol: str) -> str:
    """Cumulative price-adjustment factors of `symbol` per ex-date (BASIC_INFO)."""
    return cache_key("adjust", symbol)


def instrument_key(symbol: str) -> str:
    """The instrument detail of `symbol` without its price-dependent fields (BASIC_INFO)."""
    return cache_key("instrument", symbol)
