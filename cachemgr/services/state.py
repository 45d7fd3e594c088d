"""What each process holds for itself: its L1 store and its hit/miss counters, and the L1 operations
that a clear or optimize request applies in every process."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

from django.conf import settings

from cachemgr.services.memory import Entry, Freed, MemoryCache
from cachemgr.services.rules import rulebook
from core import clock
from core.process import STARTED_AT

# Distinct keys remembered per rule to estimate how often each key is rewritten.
STORE_KEYS_LIMIT = 10_000


class Counters:
    """Lookups and hits per level, fetches/hits/writes per rule, since this process started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.started = clock.timestamp()
            self.levels: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # level -> [lookups, hits]
            self.rules: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # rule -> [fetches, hits, stores]
            self.store_keys: dict[str, set[str]] = defaultdict(set)

    def lookup(self, level: str, hit: bool) -> None:
        with self._lock:
            row = self.levels[level]
            row[0] += 1
            row[1] += hit

    def fetch(self, rule: str, hit: bool) -> None:
        with self._lock:
            row = self.rules[rule]
            row[0] += 1
            row[1] += hit

    def hits(self, rule: str, level: str, count: int) -> None:
        """`count` fetches of `rule` that hit, each found in `level` on its first lookup (one lock)."""
        with self._lock:
            row = self.rules[rule]
            row[0] += count
            row[1] += count
            found = self.levels[level]
            found[0] += count
            found[1] += count

    def store(self, rule: str, key: str) -> None:
        with self._lock:
            self.rules[rule][2] += 1
            keys = self.store_keys[rule]
            if len(keys) < STORE_KEYS_LIMIT:
                keys.add(key)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "started": self.started,
                "levels": {level: {"lookups": r[0], "hits": r[1]} for level, r in self.levels.items()},
                "rules": {
                    rule: {"fetches": r[0], "hits": r[1], "stores": r[2], "store_keys": len(self.store_keys[rule])}
                    for rule, r in self.rules.items()
                },
            }


def _new_l1() -> MemoryCache:
    return MemoryCache(
        max_entries=settings.ARGUS_CACHE_L1_MAX_ENTRIES, max_bytes=int(settings.ARGUS_CACHE_L1_MAX_MB * 1024 * 1024)
    )


l1 = _new_l1()
counters = Counters()


def process_reset() -> None:
    """Start afresh (after a fork, or between tests): empty L1 sized from settings, zero counters."""
    global l1
    from cachemgr.services.rendered import rendered_clear

    l1 = _new_l1()
    rendered_clear()
    counters.reset()


def process_snapshot() -> dict[str, Any]:
    """This process's counters plus what its L1 holds."""
    return {**counters.snapshot(), "l1": l1.figures(), "published": clock.timestamp(), "started_at": STARTED_AT}


def l1_valid(rule_name: str, entry: Entry, now: float) -> bool:
    """An L1 copy is served while its rule's TTL holds and (with a shared L2) it was refreshed lately."""
    rule = rulebook.get(rule_name)
    if now >= entry.stored_at + rule.ttl:
        return False
    return not (settings.USE_REDIS and now >= entry.filled_at + settings.ARGUS_CACHE_L1_REFRESH)


def local_clear(rules: list[str] | None) -> dict[str, int]:
    """Empty this process's L1 of `rules` (all when None), the fast path's rendered answers built
    from them, and its copies of the quote bytes with LATEST_DATA."""
    from cachemgr.services.rendered import rendered_clear

    if rules is None or "LATEST_DATA" in rules:
        from cachemgr.services.quotebytes import quote_bytes_clear

        quote_bytes_clear(shared=False)
    rendered_clear(set(rules) if rules is not None else None)
    freed = l1.clear(set(rules) if rules is not None else None)
    return {"keys": freed.keys, "bytes": freed.bytes}


def local_optimize(cold_seconds: float) -> dict[str, int]:
    """Drop expired and cold L1 entries here, then trim L1 to 90% of its byte bound if it is above."""
    now = clock.timestamp()
    known = rulebook.loaded()  # runs on the sync thread: no database access there
    expired = l1.drop_where(lambda rule, e: rule not in known or now >= e.stored_at + known[rule].ttl)
    cold = l1.drop_where(lambda rule, e: now - e.last_read >= cold_seconds)
    trimmed = l1.trim(int(l1.max_bytes * 0.9)) if l1.figures()["bytes"] > l1.max_bytes * 0.9 else Freed()
    return {
        "expired_keys": expired.keys,
        "expired_bytes": expired.bytes,
        "cold_keys": cold.keys,
        "cold_bytes": cold.bytes,
        "trimmed_keys": trimmed.keys,
        "trimmed_bytes": trimmed.bytes,
    }


def local_expire() -> dict[str, int]:
    """Drop this process's L1 entries whose rule's TTL has passed (nothing else)."""
    now = clock.timestamp()
    known = rulebook.loaded()  # runs on the sync thread: no database access there
    expired = l1.drop_where(lambda rule, e: rule not in known or now >= e.stored_at + known[rule].ttl)
    return {"keys": expired.keys, "bytes": expired.bytes}


LOCAL_OPS: dict[str, Any] = {
    "clear": lambda args: local_clear(args.get("rules")),
    "expire": lambda args: local_expire(),
    "optimize": lambda args: local_optimize(float(args["cold_seconds"])),
}
