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


def feed_status_key() -> str:
    """The feed's last poll: {"last_poll": epoch seconds, "source": name, "ticks": n, "error": text|None}.

    Written by the feed after every poll (Django default cache, no expiry); read by /health.
    """
    return cache_key("feed", "status")
