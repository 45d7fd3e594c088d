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


def latest_quote_key(symbol: str) -> str:
    """The latest quote of one symbol (written through by the feed, read by REST, WS and MCP)."""
    return cache_key("quote", symbol)


def stream_key(*parts: object) -> str:
    """Raw Redis names of the live-quote stream: sequences, replay streams, pub/sub channel, locks, registries."""
    return redis_key("stream", *parts)
