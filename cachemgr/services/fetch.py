"""The read-through every cached read uses (L1 -> L2 -> L3 -> source) and the feed's write-through.

Code in the event loop (the ASGI fast path) must not call Redis or the database synchronously.
It reads through a `LoopView`: lookups made while one is active (`loop_view()`) take L2 values
only from what the view read ahead asynchronously (`cache_read_ahead`, one MGET for every key
missing), note the keys it lacks instead of reading them, and never consult L3 (a database table).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from cachemgr.keys import cache_entry_key
from cachemgr.services import backends, state, sync
from cachemgr.services.memory import Entry, measure
from cachemgr.services.rules import Rule, rulebook
from core import clock

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CacheResult(Generic[T]):
    value: T
    hit: bool
    level: str | None  # "L1", "L2", "L3", or None when loaded from the source
    age_seconds: float | None  # how old the cached value is; None when just loaded


def cache_fetch(rule: str, key: str, loader: Callable[[], T], *, use_cache: bool = True) -> CacheResult[T]:
    """Read `key` under `rule` through the levels the rule names, loading and filling them on a miss.

    use_cache=False goes to the source and refreshes every level. The value is shared with other
    callers: treat it as read-only.
    """
    sync.ensure_started()
    spec = rulebook.get(rule)
    view = _view.get()
    if view is not None:
        return _fetch_in_view(view, spec, key, use_cache)
    if use_cache:
        now = clock.timestamp()
        found = _lookup(spec, key, now)
        state.counters.fetch(rule, found is not None)
        if found is not None:
            level, stored_at, value = found
            return CacheResult(value, True, level, round(max(0.0, now - stored_at), 3))
    value = loader()
    _fill(spec, key, value, clock.timestamp(), spec.stores)
    return CacheResult(value, False, None, None)


@dataclass(frozen=True, slots=True)
class Peeked(Generic[T]):
    """A value `cache_peek` found, with the lookups that found it, counted only by `cache_count`."""

    rule: str
    result: CacheResult[T]
    lookups: tuple[tuple[str, bool], ...]


def cache_peek(rule: str, key: str) -> Peeked[Any] | None:
    """Look `key` up like `cache_fetch` without a loader and without counting: a caller that may
    hand the request on (the ASGI fast path, to Django, which looks up again) counts only what it
    answers, with `cache_count`, so each lookup is counted once."""
    sync.ensure_started()
    spec = rulebook.get(rule)
    now = clock.timestamp()
    lookups: list[tuple[str, bool]] = []
    found = _lookup(spec, key, now, lookups)
    if found is None:
        return None
    level, stored_at, value = found
    return Peeked(rule, CacheResult(value, True, level, round(max(0.0, now - stored_at), 3)), tuple(lookups))


def cache_count(peeked: list[Peeked[Any]]) -> None:
    """Count the lookups of values `cache_peek` found, once the caller answers with them."""
    view = _view.get()
    for item in peeked:
        if view is not None:
            view.rules.append(item.rule)
        state.counters.fetch(item.rule, True)
        for level, hit in item.lookups:
            state.counters.lookup(level, hit)


def cache_store(rule: str, key: str, value: object) -> None:
    """Write-through: replace `key` in every level of `rule` now (the feed, on every tick)."""
    sync.ensure_started()
    spec = rulebook.get(rule)
    state.counters.store(rule, key)
    _fill(spec, key, value, clock.timestamp(), spec.stores)


def cache_forget(rule: str, key: str) -> None:
    """Drop one key from this process's L1 (the shared levels keep theirs until their TTL)."""
    state.l1.delete(rule, key)


@dataclass
class LoopView:
    """L2 entries read ahead for code in the event loop, and the keys its lookups still lacked.

    `cache_fetch` in a view never calls its loader: a value that is not cached raises LoopMiss
    (the caller reads ahead and retries, or hands the request to Django). Its lookups are counted
    only by `count()`, once the caller answers with them, so a request handed on is counted once.
    """

    l2: dict[tuple[str, str], tuple[float, Any] | None] = field(default_factory=dict)
    missing: dict[tuple[str, str], None] = field(default_factory=dict)  # ordered set
    fetches: list[str] = field(default_factory=list)
    lookups: list[tuple[str, bool]] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # the rule of each value the last run answered with

    def count(self) -> None:
        for rule in self.fetches:
            state.counters.fetch(rule, True)
        for level, hit in self.lookups:
            state.counters.lookup(level, hit)
        self.fetches.clear()
        self.lookups.clear()


class LoopMiss(Exception):
    """cache_fetch in a LoopView: the value is not cached (or use_cache=false), and no loader runs there."""


def _fetch_in_view(view: LoopView, spec: Rule, key: str, use_cache: bool) -> CacheResult[Any]:
    if not use_cache:
        raise LoopMiss(key)
    now = clock.timestamp()
    found = _lookup(spec, key, now, view.lookups)
    if found is None:
        raise LoopMiss(key)
    view.fetches.append(spec.name)
    view.rules.append(spec.name)
    level, stored_at, value = found
    return CacheResult(value, True, level, round(max(0.0, now - stored_at), 3))


_view: ContextVar[LoopView | None] = ContextVar("argus_cache_loop_view", default=None)


@contextlib.contextmanager
def loop_view(view: LoopView) -> Iterator[LoopView]:
    """Lookups in this block read L2 from `view` only (see the module doc)."""
    token = _view.set(view)
    view.fetches.clear()
    view.lookups.clear()
    view.rules.clear()
    try:
        yield view
    finally:
        _view.reset(token)


async def cache_read_ahead(view: LoopView) -> None:
    """Read every key `view` lacked from L2 without blocking the loop: one asyncio MGET (bounded by
    core.redis.ASYNC_TIMEOUT), or the embedded default's in-process locmem. While Redis is failing
    (its breaker open) nothing is read: the keys count as misses and Django answers."""
    wanted = list(view.missing)
    view.missing.clear()
    if not wanted:
        return
    from django.conf import settings
    from django.core.cache import caches

    from core.redis import ASYNC_TIMEOUT, async_redis

    redis = async_redis() if settings.USE_REDIS else None
    if redis is None:  # locmem: process memory, no I/O
        for rule, key in wanted:
            view.l2[(rule, key)] = backends.l2_get(rule, key)
        return
    if not backends.outage.closed():
        view.l2.update(dict.fromkeys(wanted))
        return
    l2 = caches["default"]
    names = [l2.make_key(cache_entry_key(rule, key)) for rule, key in wanted]
    try:
        raw = await asyncio.wait_for(redis.mget(names), timeout=ASYNC_TIMEOUT)
    except Exception as exc:
        backends.outage.failed(exc)
        view.l2.update(dict.fromkeys(wanted))
        return
    decode = l2.client.decode  # type: ignore[attr-defined]  # django-redis: its own serializer
    for item, value in zip(wanted, raw, strict=True):
        view.l2[item] = None if value is None else decode(value)


def _l2_read(spec: Rule, key: str) -> tuple[float, Any] | None:
    view = _view.get()
    if view is None:
        return backends.l2_get(spec.name, key)
    item = (spec.name, key)
    if item in view.l2:
        return view.l2[item]
    view.missing[item] = None
    return None


def _l3_read(spec: Rule, key: str) -> tuple[float, Any] | None:
    return None if _view.get() is not None else backends.l3_get(spec.name, key)


def _lookup(
    spec: Rule, key: str, now: float, lookups: list[tuple[str, bool]] | None = None
) -> tuple[str, float, Any] | None:
    """The first level holding a fresh value; each level consulted is counted, or appended to
    `lookups` (for `cache_peek`) instead."""
    count = state.counters.lookup if lookups is None else lambda level, hit: lookups.append((level, hit))
    if "L1" in spec.stores:
        entry = state.l1.get(spec.name, key)
        valid = entry is not None and state.l1_valid(spec.name, entry, now)
        count("L1", valid)
        if entry is not None and valid:
            entry.last_read = now
            return "L1", entry.stored_at, entry.value
    view = _view.get()
    for level, read in (("L2", _l2_read), ("L3", _l3_read)):
        if level not in spec.stores or (level == "L3" and view is not None):
            continue
        found = read(spec, key)
        if found is None and backends.level_down(level):
            continue  # not consulted: that level is in an outage
        fresh = found is not None and now < found[0] + spec.ttl
        count(level, fresh)
        if found is not None and fresh:
            stored_at, value = found
            faster = ("L1",) if level == "L2" else ("L1", "L2")
            _fill(spec, key, value, stored_at, tuple(s for s in faster if s in spec.stores), now=now)
            return level, stored_at, value
    return None


def _fill(spec: Rule, key: str, value: Any, stored_at: float, stores: tuple[str, ...], *, now: float = 0.0) -> None:
    now = now or clock.timestamp()
    remaining = stored_at + spec.ttl - now
    if remaining <= 0:
        return
    if "L1" in stores:
        entry = Entry(value, stored_at, now, measure(key, value), now)
        state.l1.put(spec.name, key, entry, priority=spec.priority, max_size=spec.max_size)
    if "L2" in stores:
        backends.l2_set(spec.name, key, (stored_at, value), remaining)
    if "L3" in stores:
        backends.l3_set(spec.name, key, (stored_at, value), remaining)
