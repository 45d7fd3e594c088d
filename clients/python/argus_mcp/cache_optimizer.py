"""The user guide's cache manager (缓存管理): `CacheOptimizer`, a thin client of /api/v1/cache/*.

```python
from argus_mcp.cache_optimizer import CacheOptimizer, cache_optimizer

stats = await CacheOptimizer().get_cache_stats()   # the spec's stats, plus the guide's `cache_size`
await cache_optimizer.clear_cache("market_data")   # market_data | history_data | basic_info | all
await cache_optimizer.preload_data(["000001.SZ"])  # POST /api/v1/cache/preload
await cache_optimizer.update_ttl("market_data", 600)
await cache_optimizer.cleanup_expired()            # POST /api/v1/cache/cleanup: expired entries only
await cache_optimizer.emergency_cleanup()          # everything in memory (L1 and L2); L3 stays
```

The base URL is the argument, else `ARGUS_URL` (read at each call, so the module's
`cache_optimizer` follows it), else http://localhost:8001. Each call opens and closes its own
connection, so one instance works across `asyncio.run` calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from argus_mcp import calls
from argus_mcp._rest import RestModule
from argus_mcp.calls import Call
from argus_mcp.exceptions import InvalidParameterError

# The API's cache_type names and the rule each one covers (GET /api/v1/cache/config lists the rules).
CACHE_TYPES = {"market_data": "LATEST_DATA", "history_data": "HISTORY_DATA", "basic_info": "BASIC_INFO"}


class CacheOptimizer(RestModule):
    """The guide's `CacheOptimizer()`: cache statistics, clearing, preloading, TTLs, cleanup."""

    async def get_cache_stats(self) -> dict[str, Any]:
        """GET /api/v1/cache/stats's `data`; `cache_size` (the guide's name) is its `total_keys`."""
        stats = dict(await self._call(calls.cache_stats()))
        stats.setdefault("cache_size", stats.get("total_keys"))
        return stats

    async def clear_cache(self, cache_type: str = "all", level: str | None = None) -> dict[str, Any]:
        """DELETE /api/v1/cache/clear: `{"message", "cleared_keys", "freed_memory_mb"}` as measured."""
        return await self._call(calls.clear_cache(cache_type, level))

    async def optimize(self) -> dict[str, Any]:
        """POST /api/v1/cache/optimize: `{"message", "optimizations", "performance_improvement"}`."""
        return await self._call(calls.optimize_cache())

    async def get_config(self) -> dict[str, Any]:
        """GET /api/v1/cache/config: `{"cache_rules": {...}}`."""
        return await self._call(calls.cache_config())

    async def preload_data(self, symbols: Iterable[str]) -> dict[str, Any]:
        """Load each symbol's latest quote, instrument info and last 30 days of daily bars into the cache.

        Returns `{"message", "symbols", "loaded": {rule: entries}, "unknown": [symbols not listed]}`.
        """
        return await self._call(Call("POST", "/api/v1/cache/preload", body={"symbols": list(symbols)}, shape="body"))

    async def update_ttl(self, cache_type: str, ttl: int) -> dict[str, Any]:
        """Set the TTL (seconds) of `cache_type`'s rule (`market_data`, ... or a rule name such as
        `LATEST_DATA`); every process applies it, to entries already cached too. Returns the new config."""
        rule = CACHE_TYPES.get(cache_type, cache_type)
        if rule not in CACHE_TYPES.values() and not rule.isupper():
            names = ", ".join([*CACHE_TYPES, *CACHE_TYPES.values()])
            raise InvalidParameterError("INVALID_PARAMETER", "参数无效", f"cache_type must be one of {names}")
        body = {"cache_rules": {rule: {"ttl": ttl}}}
        return await self._call(Call("PATCH", "/api/v1/cache/config", body=body))

    async def cleanup_expired(self) -> dict[str, Any]:
        """POST /api/v1/cache/cleanup: drop expired entries only; `{"message", "cleared_keys", "freed_memory_mb"}`."""
        return await self._call(Call("POST", "/api/v1/cache/cleanup", shape="body"))

    async def emergency_cleanup(self) -> dict[str, Any]:
        """Free memory now: clear every cache type in L1 (each process) and L2 (Redis); L3 (the database) stays.

        Returns the two clears summed: `{"message", "cleared_keys", "freed_memory_mb", "levels"}`.
        """
        results = {level: await self.clear_cache("all", level) for level in ("L1", "L2")}
        return {
            "message": "emergency cleanup: L1 and L2 cleared",
            "cleared_keys": sum(int(r.get("cleared_keys") or 0) for r in results.values()),
            "freed_memory_mb": round(sum(float(r.get("freed_memory_mb") or 0) for r in results.values()), 6),
            "levels": results,
        }


# The guide uses a ready instance (`await cache_optimizer.preload_data(...)`).
cache_optimizer = CacheOptimizer()

__all__ = ["CACHE_TYPES", "CacheOptimizer", "cache_optimizer"]
