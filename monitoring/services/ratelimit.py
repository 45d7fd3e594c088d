"""Rate limits per client (API key, else IP) and rate class, shared by every server process.

A fixed window that opens at a client's first request: INCR + PEXPIRE in one Lua script, so the
count is atomic across processes. The embedded default keeps the same windows in process memory.
If Redis does not answer, requests are let through (availability first) and a warning is logged.
Redis failing trips the L2 outage breaker (cachemgr.services.backends.outage; the same Redis), and
while it is open the limiter is skipped at once. `rate_limit_hit_async` is the event loop's version
(the ASGI fast path): it never blocks the loop and waits at most core.redis.ASYNC_TIMEOUT.
"""

from __future__ import annotations

import asyncio
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


def _rule(client: str, rate_class: str) -> tuple[int, int, str] | None:
    """(limit, window in ms, Redis key) of `client` in `rate_class`, or None without a limit."""
    rule = settings.ARGUS_RATE_LIMITS.get(rate_class)
    if rule is None:
        return None
    return int(rule[0]), max(1, int(float(rule[1]) * 1000)), redis_key("ratelimit", rate_class, client)


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


_async_scripts: dict[int, Any] = {}


def _async_hit_script(redis: Any) -> Any:
    """The Lua script registered on the event loop's client (one client per loop, see core.redis)."""
    script = _async_scripts.get(id(redis))
    if script is None or script.registered_client is not redis:
        if len(_async_scripts) > 16:  # clients of loops that are gone (tests)
            _async_scripts.clear()
        script = _async_scripts[id(redis)] = redis.register_script(_HIT_SCRIPT)
    return script


async def rate_limit_hit_async(client: str, rate_class: str) -> RateDecision | None:
    """`rate_limit_hit` for code in the event loop: never blocks it, and skips Redis while it is failing.

    A probe of whether Redis is back is left to threads (requests in Django, the cache sync thread).
    """
    rule = _rule(client, rate_class)
    if rule is None:
        return None
    limit, window_ms, key = rule
    redis = async_redis()
    if redis is None:
        return _decision(limit, *_local.hit(key, window_ms))
    if not redis_outage.closed():
        _skipped()
        return None
    try:
        count, ttl_ms = await asyncio.wait_for(
            _async_hit_script(redis)(keys=[key], args=[window_ms]), timeout=ASYNC_TIMEOUT
        )
    except Exception as exc:
        _skipped(exc)
        return None
    return _decision(limit, count, ttl_ms)


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


def rate_limits_reset() -> None:
    """Forget every window (tests, and operators after changing limits)."""
    _local.clear()
    redis = shared_redis()
    if redis is not None:
        keys = list(redis.scan_iter(match=redis_key("ratelimit", "*"), count=1000))
        if keys:
            redis.delete(*keys)
