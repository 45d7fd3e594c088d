"""The two helpers every shared key name is built with (the names themselves live with their owners).

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
