"""Cache services: the three-level read-through and write-through, statistics, clearing, optimizing,
rules, preloading and health. Callers import from here."""

from cachemgr.services.backends import degraded_note
from cachemgr.services.fetch import (
    CacheResult,
    LoopMiss,
    LoopView,
    Peeked,
    cache_count,
    cache_fetch,
    cache_forget,
    cache_peek,
    cache_read_ahead,
    cache_store,
    loop_view,
)
from cachemgr.services.health import CacheHealth, cache_health
from cachemgr.services.optimize import Optimization, cache_cleanup_expired, cache_optimize, optimization_body
from cachemgr.services.rules import DEFAULT_RULES, Rule, cache_config, rule_update, rulebook
from cachemgr.services.stats import (
    Cleared,
    cache_clear,
    cache_counters,
    cache_stats,
    rules_for_type,
    service_started_at,
)

__all__ = [
    "DEFAULT_RULES",
    "CacheHealth",
    "CacheResult",
    "Cleared",
    "LoopMiss",
    "LoopView",
    "Optimization",
    "Peeked",
    "Rule",
    "cache_cleanup_expired",
    "cache_clear",
    "cache_config",
    "cache_count",
    "cache_counters",
    "cache_fetch",
    "cache_forget",
    "cache_health",
    "cache_optimize",
    "cache_peek",
    "cache_read_ahead",
    "cache_stats",
    "cache_store",
    "degraded_note",
    "loop_view",
    "optimization_body",
    "rule_update",
    "rulebook",
    "rules_for_type",
    "service_started_at",
]
