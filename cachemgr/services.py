"""Cache services: the read-through every cached read uses, and the feed's write-through.

INTERIM: a single-level version over Django's default cache, so callers can be written against
the final signatures. Issue 4 replaces the bodies with L1 -> L2 -> L3 and real statistics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")

# Rule name -> default TTL (the spec's cache_rules); issue 4 moves these to database rows.
RULE_TTL = {
    "LATEST_DATA": lambda: settings.ARGUS_CACHE_TTL_HOT,
    "HISTORY_DATA": lambda: settings.ARGUS_CACHE_TTL_WARM,
    "BASIC_INFO": lambda: settings.ARGUS_CACHE_TTL_COLD,
}


@dataclass(frozen=True, slots=True)
class CacheResult(Generic[T]):
    value: T
    hit: bool
    level: str | None  # "L1", "L2", "L3", or None when loaded from the source
    age_seconds: float | None  # how old the cached value is; None when just loaded


def cache_fetch(rule: str, key: str, loader: Callable[[], T], *, use_cache: bool = True) -> CacheResult[T]:
    """Read `key` under `rule`, loading (and storing) it on a miss; use_cache=False reloads."""
    if use_cache:
        entry = cache.get(key)
        if entry is not None:
            stored_at, value = entry
            return CacheResult(value, True, "L2", round(time.time() - stored_at, 3))
    value = loader()
    cache.set(key, (time.time(), value), timeout=RULE_TTL[rule]())
    return CacheResult(value, False, None, None)


def cache_store(rule: str, key: str, value: object) -> None:
    """Write-through (the feed replaces latest quotes as they arrive)."""
    cache.set(key, (time.time(), value), timeout=RULE_TTL[rule]())
