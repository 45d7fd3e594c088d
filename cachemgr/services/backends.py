"""L2 and L3 stores behind one small interface, and the Redis outage breaker.

L2 is Django's "default" cache (django-redis in production, locmem in the embedded default);
L3 is the "l3" database cache table. Entries are stored under `cache_entry_key(rule, key)` as
`(stored_at, value)`, so a rule's entries can be counted, measured and cleared.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import connections, router

from cachemgr.keys import cache_entry_key
from cachemgr.services.memory import Freed
from core import clock
from core.redis import redis_client

logger = logging.getLogger("argus.cache")

# MEMORY USAGE is asked for at most this many keys per rule; beyond, the mean of the sample is used.
MEMORY_SAMPLE = 2000


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class Outage:
    """Tracks whether a level's store answers: logs once when it stops and once when it is back.

    For L2 it is the breaker of Redis as a whole: the rate limiter reports to it too, and the
    calendar, pool and feed-status reads go through it. While it is open, callers skip the store at
    once; every ARGUS_CACHE_L2_RETRY seconds one caller on a thread probes it (never code running in
    the event loop, where a hung Redis would block every connection of the process).
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.down_since: float | None = None
        self.last_error = ""
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def closed(self) -> bool:
        """Whether the store is believed to answer (no outage); code in the event loop goes by this alone."""
        return self.down_since is None

    def usable(self) -> bool:
        """False while in an outage, except once every ARGUS_CACHE_L2_RETRY seconds to probe (on a thread)."""
        if self.down_since is None:
            return True
        if _in_event_loop():
            return False
        with self._lock:
            now = time.monotonic()
            if now < self._retry_at:
                return False
            self._retry_at = now + settings.ARGUS_CACHE_L2_RETRY
            return True

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self._retry_at = time.monotonic() + settings.ARGUS_CACHE_L2_RETRY
            self.last_error = f"{type(exc).__name__}: {exc}"
            if self.down_since is None:
                self.down_since = clock.timestamp()
                logger.error("%s unreachable; serving from other levels and the source: %s", self.what, self.last_error)

    def succeeded(self) -> None:
        if self.down_since is not None:
            with self._lock:
                if self.down_since is not None:
                    logger.warning("%s is back after %.1f s", self.what, clock.timestamp() - self.down_since)
                    self.down_since = None


outage = Outage("L2 cache (Redis)" if settings.USE_REDIS else "L2 cache")
l3_outage = Outage("L3 cache (database table)")


def outages_reset() -> None:
    """Forget both breakers' state (tests; an operator after fixing Redis need not: probes close them)."""
    for breaker in (outage, l3_outage):
        with breaker._lock:
            breaker.down_since = None
            breaker._retry_at = 0.0


def degraded_note() -> str | None:
    """What a reader served now should be told when a shared cache level is in an outage, else None.

    Answers are still true (they come from the levels that answer, or from the source), only slower
    and possibly older: `cache_age_seconds` says how old.
    """
    if outage.down_since is None and l3_outage.down_since is None:
        return None  # every answer asks: no clock reading or list for the usual case
    now = clock.timestamp()  # down_since is wall time (it is shown in /health)
    down = [(o.what, o.down_since) for o in (outage, l3_outage) if o.down_since is not None]
    parts = [f"{what} unreachable for {max(0, int(now - since))} s" for what, since in down]
    return "; ".join(parts) + "; served from the cache levels that answer and the data source"


def l3_probe() -> None:
    """While L3 is in an outage, read one key on this thread (at most every ARGUS_CACHE_L2_RETRY s)
    so the breaker closes once the table answers even in a process that reads nothing else from L3.
    Without it, a worker whose requests skipped L3 kept its outage flag (and /health flapped) for
    as long as it lived."""
    if l3_outage.down_since is None or not l3_outage.usable():
        return
    try:
        caches["l3"].get(cache_entry_key("health", "probe"))
    except Exception as exc:
        l3_outage.failed(exc)
        return
    l3_outage.succeeded()


def level_down(level: str) -> bool:
    """Whether `level` is in an outage right now."""
    return (outage if level == "L2" else l3_outage).down_since is not None


class L2Unavailable(Exception):
    """L2 did not answer, or is in an outage: the caller keeps what it has."""


def l2_value(key: str, default: Any = None) -> Any:
    """A plain value kept in L2 (a version number, the feed's status), read behind the outage breaker.

    Raises L2Unavailable while Redis is failing, so that a caller can tell "unreadable" from "unset".
    """
    if not outage.usable():
        raise L2Unavailable(outage.last_error or "L2 is in an outage")
    try:
        value = caches["default"].get(key, default)
    except Exception as exc:
        outage.failed(exc)
        raise L2Unavailable(f"{type(exc).__name__}: {exc}") from exc
    outage.succeeded()
    return value


def l2_put(key: str, value: Any, timeout: float | None = None) -> bool:
    """Write a plain value to L2 behind the breaker; False when it was not written."""
    if not outage.usable():
        return False
    try:
        caches["default"].set(key, value, timeout=timeout)
    except Exception as exc:
        outage.failed(exc)
        return False
    outage.succeeded()
    return True


def l2_bump(key: str) -> bool:
    """Increment a version counter in L2 (created at 1) behind the breaker; False when it was not."""
    if not outage.usable():
        return False
    try:
        try:
            caches["default"].incr(key)
        except ValueError:  # not there yet
            caches["default"].set(key, 1, timeout=None)
    except Exception as exc:
        outage.failed(exc)
        return False
    outage.succeeded()
    return True


def l2_get(rule: str, key: str) -> tuple[float, Any] | None:
    """(stored_at, value) from L2, or None on a miss or while Redis is down."""
    if not outage.usable():
        return None
    try:
        entry = caches["default"].get(cache_entry_key(rule, key))
    except Exception as exc:
        outage.failed(exc)
        return None
    outage.succeeded()
    return entry


def l2_set(rule: str, key: str, entry: tuple[float, Any], timeout: float) -> None:
    if not outage.usable():
        return
    try:
        caches["default"].set(cache_entry_key(rule, key), entry, timeout=max(1, int(timeout + 0.999)))
    except Exception as exc:
        outage.failed(exc)
        return
    outage.succeeded()


def l3_get(rule: str, key: str) -> tuple[float, Any] | None:
    if not l3_outage.usable():
        return None
    try:
        entry = caches["l3"].get(cache_entry_key(rule, key))
    except Exception as exc:
        l3_outage.failed(exc)
        return None
    l3_outage.succeeded()
    return entry


def l3_set(rule: str, key: str, entry: tuple[float, Any], timeout: float) -> None:
    if not l3_outage.usable():
        return
    try:
        caches["l3"].set(cache_entry_key(rule, key), entry, timeout=max(1, int(timeout + 0.999)))
    except Exception as exc:
        l3_outage.failed(exc)
        return
    l3_outage.succeeded()


# --- measuring and clearing whole rules -------------------------------------------------------


def _redis() -> Any:
    return redis_client()


def _l2_raw_keys(rule: str) -> Iterator[bytes]:
    pattern = caches["default"].make_key(cache_entry_key(rule, "*"))
    yield from _redis().scan_iter(match=pattern, count=1000)


def _locmem_items(rule: str) -> list[tuple[str, int]]:
    """(raw key, pickled size) of a rule's live entries in the embedded default's locmem L2."""
    backend = caches["default"]
    prefix = backend.make_key(cache_entry_key(rule, ""))
    store: dict[str, bytes] = getattr(backend, "_cache", {})
    expiry: dict[str, float] = getattr(backend, "_expire_info", {})
    now = clock.timestamp()
    return [
        (key, len(value) + len(key))
        for key, value in list(store.items())
        if key.startswith(prefix) and (expiry.get(key) is None or expiry[key] > now)
    ]


def l2_figures(rule: str) -> tuple[int, int | None]:
    """(keys, bytes) of one rule in L2: Redis MEMORY USAGE (sampled past MEMORY_SAMPLE keys) or locmem sizes."""
    if not settings.USE_REDIS:
        items = _locmem_items(rule)
        return len(items), sum(size for _, size in items)
    keys = list(_l2_raw_keys(rule))
    sample = keys[:MEMORY_SAMPLE]
    pipe = _redis().pipeline(transaction=False)
    for key in sample:
        pipe.memory_usage(key)
    sizes = [size for size in pipe.execute() if size is not None]
    if not keys:
        return 0, 0
    if not sizes:
        return len(keys), None
    return len(keys), round(sum(sizes) / len(sizes) * len(keys))


def l2_clear(rule: str) -> Freed:
    """Delete a rule's L2 entries; counts and measures exactly what was deleted."""
    freed = Freed()
    if not settings.USE_REDIS:
        backend = caches["default"]
        skip = len(backend.make_key(""))
        for raw_key, size in _locmem_items(rule):
            backend.delete(raw_key[skip:])
            freed.keys += 1
            freed.bytes += size
        return freed
    client = _redis()
    keys = list(_l2_raw_keys(rule))
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        pipe = client.pipeline(transaction=False)
        for key in batch:
            pipe.memory_usage(key)
        sizes = pipe.execute()
        deleted = client.unlink(*batch)
        freed.keys += deleted
        freed.bytes += sum(size or 0 for size in sizes)
    return freed


def _l3_table() -> tuple[Any, str]:
    backend: Any = caches["l3"]
    connection = connections[router.db_for_write(backend.cache_model_class) or "default"]
    return connection, connection.ops.quote_name(backend._table)


def _l3_prefix(rule: str) -> str:
    return caches["l3"].make_key(cache_entry_key(rule, ""))


def l3_figures(rule: str) -> tuple[int, int]:
    """(keys, bytes) of a rule's unexpired rows in the L3 table (bytes: key plus stored value)."""
    connection, table = _l3_table()
    prefix = _l3_prefix(rule)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), COALESCE(SUM(LENGTH(cache_key) + LENGTH(value)), 0) FROM {table} "
            "WHERE SUBSTR(cache_key, 1, %s) = %s AND expires > %s",
            [len(prefix), prefix, connection.ops.adapt_datetimefield_value(_now())],
        )
        count, size = cursor.fetchone()
    return int(count), int(size)


def l3_clear(rule: str, *, expired_only: bool = False) -> Freed:
    """Delete a rule's rows (or only its expired ones) from the L3 table; counts and measures them."""
    connection, table = _l3_table()
    prefix = _l3_prefix(rule)
    where = "SUBSTR(cache_key, 1, %s) = %s"
    params: list[Any] = [len(prefix), prefix]
    if expired_only:
        where += " AND expires <= %s"
        params.append(connection.ops.adapt_datetimefield_value(_now()))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), COALESCE(SUM(LENGTH(cache_key) + LENGTH(value)), 0) FROM {table} WHERE {where}",
            params,
        )
        count, size = cursor.fetchone()
        cursor.execute(f"DELETE FROM {table} WHERE {where}", params)
    return Freed(int(count), int(size))


def _now() -> Any:

    return clock.now().replace(microsecond=0)
