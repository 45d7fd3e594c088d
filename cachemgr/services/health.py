"""The cache's health as /health reports it: healthy, degraded (Redis down, L1 and the source serve) or unhealthy."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches

from cachemgr.keys import cache_key
from cachemgr.services import backends
from core import clock


@dataclass(frozen=True)
class CacheHealth:
    status: str  # healthy | degraded | unhealthy
    detail: str
    latency_ms: float


def cache_health() -> CacheHealth:
    """Round-trip a key through L2 for real; a failing L2 degrades the cache (L1 keeps serving).

    During an outage the breaker decides: between its probes (every ARGUS_CACHE_L2_RETRY s, which
    this may be) the answer is the outage itself, so /health never waits on a hung Redis for long.
    """
    backend = "redis" if settings.USE_REDIS else "in-process"
    if not backends.outage.usable():
        since = clock.timestamp() - (backends.outage.down_since or clock.timestamp())
        error = backends.outage.last_error
        return CacheHealth(
            "degraded", f"{backend} L2 unreachable for {since:.0f} s ({error}); serving from L1 and the source", 0.0
        )
    key = cache_key("health", uuid.uuid4().hex)
    started = time.perf_counter()
    try:
        l2 = caches["default"]
        l2.set(key, 1, timeout=5)
        ok = l2.get(key) == 1
        l2.delete(key)
    except Exception as exc:
        backends.outage.failed(exc)
        return CacheHealth("degraded", f"{backend} L2 unreachable ({exc}); serving from L1 and the source", 0.0)
    latency = round((time.perf_counter() - started) * 1000, 3)
    if not ok:
        return CacheHealth("degraded", f"{backend} L2: wrote a key and could not read it back", latency)
    backends.outage.succeeded()
    backends.l3_probe()
    if backends.l3_outage.down_since is not None:
        return CacheHealth("degraded", f"{backend}; L3 table unreachable: {backends.l3_outage.last_error}", latency)
    return CacheHealth("healthy", backend, latency)
