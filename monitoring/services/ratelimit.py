"""Rate limits per client (API key, else IP) and rate class, shared by every server process.

A fixed window that opens at a client's first request: INCR + PEXPIRE in one Lua script, so the
count is atomic across processes. The embedded default keeps the same windows in process memory.
If Redis does not answer, requests are let through (availability first) and a warning is logged.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from cachemgr.keys import redis_key
from monitoring.services.shared import shared_redis, warn_every

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


def rate_limit_hit(client: str, rate_class: str) -> RateDecision | None:
    """Count one request of `client` in `rate_class`; None when the class has no limit configured."""
    rule = settings.ARGUS_RATE_LIMITS.get(rate_class)
    if rule is None:
        return None
    limit, window = int(rule[0]), float(rule[1])
    window_ms = max(1, int(window * 1000))
    key = redis_key("ratelimit", rate_class, client)
    redis = shared_redis()
    if redis is None:
        count, ttl_ms = _local.hit(key, window_ms)
    else:
        try:
            count, ttl_ms = _hit_script(redis)(keys=[key], args=[window_ms])
        except Exception as exc:
            warn_every(logger, "rate limiter (Redis)", exc)
            return None
    reset = max(1, math.ceil(int(ttl_ms) / 1000))
    return RateDecision(int(count) <= limit, limit, max(0, limit - int(count)), reset)


def rate_limits_reset() -> None:
    """Forget every window (tests, and operators after changing limits)."""
    _local.clear()
    redis = shared_redis()
    if redis is not None:
        keys = list(redis.scan_iter(match=redis_key("ratelimit", "*"), count=1000))
        if keys:
            redis.delete(*keys)
