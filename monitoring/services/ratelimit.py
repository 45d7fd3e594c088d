"""Rate limits per client (API key, else IP) and rate class, shared by every server process.

A fixed window that opens at a client's first request: INCR + PEXPIRE in one Lua script, so the
count is atomic across processes. The embedded default keeps the same windows in process memory.
If Redis does not answer, requests are let through (availability first) and a warning is logged.
Redis failing trips the L2 outage breaker (cachemgr.services.backends.outage; the same Redis), and
while it is open the limiter is skipped at once. `rate_limit_count` is the event loop's version
(the edge): a local count per client and class, reconciled with the same Redis counter in the
background, so a request never waits for Redis (tolerance: see SYNC_INTERVAL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from cachemgr.keys import redis_key
from cachemgr.services.backends import outage as redis_outage
from core.redis import ASYNC_TIMEOUT, async_redis, shared_redis
from monitoring.services.shared import warn_every

logger = logging.getLogger("argus.api")

_HIT_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
"""


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the window closes

    def headers(self) -> dict[str, str]:
        """X-RateLimit-* headers (and Retry-After when refused)."""
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_seconds)
        return headers

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """`headers()` as ASGI header pairs (lower-case names), built without the dict."""
        raw = [
            (b"x-ratelimit-limit", b"%d" % self.limit),
            (b"x-ratelimit-remaining", b"%d" % self.remaining),
            (b"x-ratelimit-reset", b"%d" % self.reset_seconds),
        ]
        if not self.allowed:
            raw.append((b"retry-after", b"%d" % self.reset_seconds))
        return raw


class _LocalWindows:
    """In-process windows for the embedded default (one process serves everything there)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, float]] = {}

    def hit(self, key: str, window_ms: int) -> tuple[int, int]:
        now = time.monotonic()
        with self._lock:
            count, closes = self._windows.get(key, (0, 0.0))
            if closes <= now:
                count, closes = 0, now + window_ms / 1000
                if len(self._windows) > 100_000:
                    self._windows = {k: v for k, v in self._windows.items() if v[1] > now}
            count += 1
            self._windows[key] = (count, closes)
        return count, int((closes - now) * 1000)

    def peek(self, key: str) -> tuple[int, int]:
        """(count, ms until the window closes) without counting; (0, 0) when no window is open."""
        now = time.monotonic()
        with self._lock:
            count, closes = self._windows.get(key, (0, 0.0))
        if closes <= now:
            return 0, 0
        return count, int((closes - now) * 1000)

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()


_local = _LocalWindows()
_scripts: dict[int, Any] = {}


def _hit_script(redis: Any) -> Any:
    """The Lua script, registered once per client (EVALSHA afterwards, not the script text each time).

    `redis` is the process's one shared client (core.redis), so this holds one entry per Redis URL;
    a cache keyed by per-request clients kept every request's client alive (a ~17 KB/request leak).
    """
    script = _scripts.get(id(redis))
    if script is None or script.registered_client is not redis:
        if len(_scripts) > 16:  # clients of earlier Redis URLs (tests re-pointing Redis)
            _scripts.clear()
        script = _scripts[id(redis)] = redis.register_script(_HIT_SCRIPT)
    return script


# (rule, namespace, class, client) -> _rule's answer: built once per client rather than per request
# (a tenth of the event loop's time on cached /history). Keyed by what it is built from, so a
# test's changed settings are seen at once.
_rules: dict[tuple[Any, str, str, str], tuple[int, int, str]] = {}


def _rule(client: str, rate_class: str) -> tuple[int, int, str] | None:
    """(limit, window in ms, Redis key) of `client` in `rate_class`, or None without a limit."""
    rule = settings.ARGUS_RATE_LIMITS.get(rate_class)
    if rule is None:
        return None
    cache_key = (tuple(rule), settings.ARGUS_NAMESPACE, rate_class, client)
    answer = _rules.get(cache_key)
    if answer is None:
        if len(_rules) > 10_000:
            _rules.clear()
        answer = _rules[cache_key] = (
            int(rule[0]),
            max(1, int(float(rule[1]) * 1000)),
            redis_key("ratelimit", rate_class, client),
        )
    return answer


def _decision(limit: int, count: Any, ttl_ms: Any) -> RateDecision:
    reset = max(1, math.ceil(int(ttl_ms) / 1000))
    return RateDecision(int(count) <= limit, limit, max(0, limit - int(count)), reset)


def _skipped(exc: BaseException | None = None) -> None:
    """Let the request through uncounted; say so every 10 s while Redis is failing."""
    if exc is not None:
        redis_outage.failed(exc)
    warn_every(logger, "rate limiter (Redis)", exc or RuntimeError(f"skipped: {redis_outage.last_error}"))


def rate_limit_hit(client: str, rate_class: str) -> RateDecision | None:
    """Count one request of `client` in `rate_class`; None when the class has no limit configured
    or Redis is failing (the request is let through)."""
    rule = _rule(client, rate_class)
    if rule is None:
        return None
    limit, window_ms, key = rule
    redis = shared_redis()
    if redis is None:
        return _decision(limit, *_local.hit(key, window_ms))
    if not redis_outage.usable():
        _skipped()
        return None
    try:
        count, ttl_ms = _hit_script(redis)(keys=[key], args=[window_ms])
    except Exception as exc:
        _skipped(exc)
        return None
    redis_outage.succeeded()
    return _decision(limit, count, ttl_ms)


# The event loop's limiter: a local count per client and class, reconciled with the shared Redis
# counter by a background task every SYNC_INTERVAL seconds (one pipelined script call per client
# that had requests). A request costs a dict update under a lock, never a Redis round trip.
#
# Tolerance: each process decides from the shared count it last learnt plus its own requests since
# then. Across P processes a limit L admits at most L plus, for each other process, the requests
# that process admitted in one SYNC_INTERVAL (at most one interval plus one Redis round trip old);
# for one process it is exact. While Redis is failing each process still enforces the limit on its
# own requests and its counts reach Redis when it answers again (tests/monitoring/test_limits_shared.py).
SYNC_INTERVAL = 0.01

_SYNC_SCRIPT = """
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if n == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
"""


class _Bucket:
    """One client's window in one class, as this process knows it."""

    __slots__ = ("closes", "pending", "shared", "window_ms")

    def __init__(self, closes: float, window_ms: int) -> None:
        self.shared = 0  # the shared count Redis last reported (this process's flushed requests included)
        self.pending = 0  # requests counted here, not yet added to Redis
        self.closes = closes  # monotonic time the window closes (Redis's PTTL once synced)
        self.window_ms = window_ms


class _LocalBuckets:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.buckets: dict[str, _Bucket] = {}
        self.dirty: set[str] = set()
        self.flushers: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}
        self.scripts: dict[int, Any] = {}

    def hit(self, key: str, limit: int, window_ms: int) -> RateDecision:
        now = time.monotonic()
        with self.lock:
            bucket = self.buckets.get(key)
            if bucket is None or bucket.closes <= now:
                if len(self.buckets) > 100_000:
                    self.buckets = {k: b for k, b in self.buckets.items() if b.closes > now}
                bucket = self.buckets[key] = _Bucket(now + window_ms / 1000, window_ms)
            bucket.pending += 1
            count = bucket.shared + bucket.pending
            self.dirty.add(key)
            ttl_ms = (bucket.closes - now) * 1000
        return _decision(limit, count, ttl_ms)

    def ensure_flusher(self) -> None:
        loop = asyncio.get_running_loop()
        task = self.flushers.get(loop)
        if task is None or task.done():
            with self.lock:
                for gone in [other for other in self.flushers if other.is_closed()]:
                    del self.flushers[gone]
            self.flushers[loop] = loop.create_task(self._flush_forever(), name="argus-ratelimit-sync")

    async def _flush_forever(self) -> None:
        task = asyncio.current_task()
        while task is None or not task.cancelling():
            await asyncio.sleep(SYNC_INTERVAL)
            if self.dirty:
                # A failure is reported by flush itself. The loop ends on cancellation even if
                # asyncio.wait_for swallowed it (it can, when the awaited call finishes just then:
                # a loop shutting down would otherwise wait for this task forever).
                with contextlib.suppress(Exception):
                    await self.flush()

    async def flush(self) -> None:
        """Add every pending count to Redis in one pipeline and learn the shared counts back."""
        redis = async_redis()
        if redis is None or not redis_outage.closed():
            return  # embedded, or Redis failing: counts stay pending (a thread's probe reopens it)
        with self.lock:
            batch = [(key, self.buckets[key]) for key in self.dirty if key in self.buckets]
            sent = [bucket.pending for _, bucket in batch]
            self.dirty.clear()
        if not batch:
            return
        script = self._script(redis)
        pipe = redis.pipeline(transaction=False)
        for (key, bucket), count in zip(batch, sent, strict=True):
            await script(keys=[key], args=[bucket.window_ms, count], client=pipe)
        try:
            replies = await asyncio.wait_for(pipe.execute(), timeout=ASYNC_TIMEOUT)
        except Exception as exc:
            with self.lock:
                self.dirty.update(key for key, _ in batch)
            _skipped(exc)
            raise
        now = time.monotonic()
        with self.lock:
            for (key, bucket), count, (shared, ttl_ms) in zip(batch, sent, replies, strict=True):
                if self.buckets.get(key) is not bucket:
                    continue  # its window closed meanwhile
                bucket.pending -= count
                bucket.shared = int(shared)
                bucket.closes = now + max(0, int(ttl_ms)) / 1000
                if bucket.pending:
                    self.dirty.add(key)

    def _script(self, redis: Any) -> Any:
        script = self.scripts.get(id(redis))
        if script is None or script.registered_client is not redis:
            if len(self.scripts) > 16:  # clients of loops that are gone (tests)
                self.scripts.clear()
            script = self.scripts[id(redis)] = redis.register_script(_SYNC_SCRIPT)
        return script

    def clear(self) -> None:
        with self.lock:
            self.buckets.clear()
            self.dirty.clear()


_buckets = _LocalBuckets()


def rate_limit_count(client: str, rate_class: str) -> RateDecision | None:
    """`rate_limit_hit` for code in the event loop, without any I/O: the local bucket decides, and
    this loop's background task reconciles it with Redis (see SYNC_INTERVAL for the tolerance).
    None when the class has no limit configured. Must be called in a running event loop."""
    rule = _rule(client, rate_class)
    if rule is None:
        return None
    limit, window_ms, key = rule
    if not settings.USE_REDIS:
        return _decision(limit, *_local.hit(key, window_ms))  # one process: its windows are exact
    _buckets.ensure_flusher()
    return _buckets.hit(key, limit, window_ms)


async def rate_limits_sync() -> None:
    """Reconcile this process's local counts with Redis now (tests; the background task does it)."""
    await _buckets.flush()


def rate_limit_peek(client: str, rate_class: str) -> RateDecision | None:
    """Where `client` stands in `rate_class` without counting a request (None: no limit, or Redis failing).

    `allowed` is False once the window already holds `limit` requests: the next one would be refused.
    """
    rule = _rule(client, rate_class)
    if rule is None:
        return None
    limit, _, key = rule
    redis = shared_redis()
    if redis is None:
        count, ttl_ms = _local.peek(key)
    else:
        if not redis_outage.usable():
            return None
        try:
            raw, ttl_ms = redis.pipeline(transaction=False).get(key).pttl(key).execute()
        except Exception as exc:
            _skipped(exc)
            return None
        count = int(raw or 0)
    if count < limit:
        return RateDecision(True, limit, limit - count, max(1, math.ceil(max(0, int(ttl_ms)) / 1000)))
    return RateDecision(False, limit, 0, max(1, math.ceil(max(0, int(ttl_ms)) / 1000)))


def rate_limits_local_reset() -> None:
    """Forget this process's own windows and counts (not the shared ones)."""
    _local.clear()
    _buckets.clear()


def rate_limits_reset() -> None:
    """Forget every window (tests, and operators after changing limits)."""
    rate_limits_local_reset()
    redis = shared_redis()
    if redis is not None:
        keys = list(redis.scan_iter(match=redis_key("ratelimit", "*"), count=1000))
        if keys:
            redis.delete(*keys)
