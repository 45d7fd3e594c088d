"""Optimize from measured data: drop expired and cold entries, tune TTLs within bounds, rebalance L1."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import caches

from cachemgr.keys import cache_optimize_window_key
from cachemgr.services import backends, sync
from cachemgr.services.rules import Rule, rule_update, rulebook
from cachemgr.services.stats import MB, Cleared, cache_counters
from core import clock

logger = logging.getLogger("argus.cache")

# A rule's TTL is only tuned from at least this many reads in the window.
MIN_READS = 50
LOW_HIT_RATE = 0.8
# TTL steps: raise by half when entries expire before they are reused; keep a written-through
# rule's TTL at a few update intervals (writes keep it fresh, the TTL only bounds staleness).
RAISE_FACTOR = 1.5
UPDATES_PER_TTL = 3


@dataclass
class Optimization:
    changes: list[str] = field(default_factory=list)
    hit_rate_before: float | None = None
    hit_rate_after: float | None = None  # not measurable until traffic has run under the new rules
    memory_saved_bytes: int = 0
    window_seconds: float | None = None


def _window(rules_now: dict[str, dict[str, int]], now: float) -> tuple[dict[str, dict[str, int]], float | None]:
    """Counters since the last optimize run (whole process lifetimes if unknown or a process restarted)."""
    try:
        previous = caches["default"].get(cache_optimize_window_key())
        caches["default"].set(cache_optimize_window_key(), {"at": now, "rules": rules_now}, timeout=None)
    except Exception as exc:
        backends.outage.failed(exc)
        previous = None
    if not previous:
        return rules_now, None
    delta: dict[str, dict[str, int]] = {}
    for rule, row in rules_now.items():
        before = previous["rules"].get(rule, {})
        diff = {name: value - before.get(name, 0) for name, value in row.items() if name != "store_keys"}
        if any(value < 0 for value in diff.values()):
            return rules_now, None
        delta[rule] = {**diff, "store_keys": row["store_keys"]}
    return delta, now - previous["at"]


def _new_ttl(rule: Rule, row: dict[str, int], seconds: float | None) -> tuple[int, str] | None:
    reads, hits, writes, keys = row["fetches"], row["hits"], row["stores"], row["store_keys"]
    hit_rate = hits / reads if reads else None
    update_interval = seconds * keys / writes if seconds and writes and keys else None
    slow_updates = update_interval is None or update_interval > rule.ttl
    if hit_rate is not None and reads >= MIN_READS and hit_rate < LOW_HIT_RATE and slow_updates:
        target = min(rule.max_ttl, math.ceil(rule.ttl * RAISE_FACTOR))
        why = f"命中率 {hit_rate:.2f}（{reads} 次读取），数据更新慢于 TTL"
        return (target, why) if target > rule.ttl else None
    if update_interval is not None and (hit_rate is None or hit_rate >= LOW_HIT_RATE):
        target = max(rule.min_ttl, math.ceil(update_interval * UPDATES_PER_TTL))
        if target < rule.ttl / 2:
            return target, f"每个键约每 {update_interval:.1f}s 写入一次"
    return None


def _expired_shared() -> tuple[int, int]:
    keys = size = 0
    for rule in rulebook.all():
        try:
            freed = backends.l3_clear(rule, expired_only=True)
        except Exception as exc:
            backends.l3_outage.failed(exc)
            break
        keys += freed.keys
        size += freed.bytes
    return keys, size


def cache_cleanup_expired() -> Cleared:
    """Drop only the expired entries: L1 in every process and the L3 table (Redis expires L2 itself)."""
    replies, complete = sync.broadcast("expire", {})
    l3_keys, l3_bytes = _expired_shared()
    keys = sum(r["keys"] for r in replies) + l3_keys
    size = sum(r["bytes"] for r in replies) + l3_bytes
    logger.info("cache cleanup of expired entries: keys=%d bytes=%d", keys, size)
    return Cleared(keys, size, complete)


def cache_optimize() -> Optimization:
    """One optimize pass over every process; returns the changes it made and the figures it measured."""
    now = clock.timestamp()
    counted = cache_counters()
    window, seconds = _window(counted["rules"], now)
    result = Optimization(window_seconds=round(seconds, 1) if seconds else None)
    reads = sum(r["fetches"] for r in window.values())
    result.hit_rate_before = round(sum(r["hits"] for r in window.values()) / reads, 4) if reads else None

    replies, complete = sync.broadcast("optimize", {"cold_seconds": settings.ARGUS_CACHE_COLD_SECONDS})
    total = {name: sum(r[name] for r in replies) for name in replies[0] if name != "process"}
    l3_keys, l3_bytes = _expired_shared()
    if total["expired_keys"] + l3_keys:
        result.changes.append(f"清理了 {total['expired_keys'] + l3_keys} 个过期键")
    if total["cold_keys"]:
        result.changes.append(
            f"清理了 {total['cold_keys']} 个冷键（{settings.ARGUS_CACHE_COLD_SECONDS:.0f}s 内未被读取，L1）"
        )
    if total["trimmed_keys"]:
        result.changes.append(
            f"重新分配了 L1 缓存内存：按优先级和最近使用淘汰 {total['trimmed_keys']} 个键"
            f"（{total['trimmed_bytes'] / MB:.3f} MB）"
        )
    for name, rule in rulebook.all().items():
        proposal = _new_ttl(rule, window.get(name, {"fetches": 0, "hits": 0, "stores": 0, "store_keys": 0}), seconds)
        if proposal is not None:
            target, why = proposal
            rule_update(name, {"ttl": target})
            result.changes.append(f"调整了 {name} 的 TTL 从 {rule.ttl}s 到 {target}s（{why}）")
    if not complete:
        result.changes.append(f"部分进程未在 {sync.REPLY_TIMEOUT:.0f}s 内响应，其 L1 未计入")
    result.memory_saved_bytes = total["expired_bytes"] + total["cold_bytes"] + total["trimmed_bytes"] + l3_bytes
    logger.info("cache optimize: %s", "; ".join(result.changes) or "nothing to change")
    return result


def optimization_body(result: Optimization) -> dict[str, Any]:
    """The spec's performance_improvement object (plus the window it measured)."""
    return {
        "hit_rate_before": result.hit_rate_before,
        "hit_rate_after": result.hit_rate_after,
        "memory_saved_mb": round(result.memory_saved_bytes / MB, 6),
        "window_seconds": result.window_seconds,
    }
