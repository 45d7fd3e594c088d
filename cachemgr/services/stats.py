"""Measured cache figures across every process, and clearing by data type and level."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from cachemgr.services import backends, sync
from cachemgr.services.quotebytes import quote_bytes_clear
from cachemgr.services.rules import rulebook
from core.process import STARTED_AT

logger = logging.getLogger("argus.cache")

LEVELS = ("L1", "L2", "L3")
# The spec's cache_type values (plus basic_info) -> rule names; "all" is every rule.
CACHE_TYPES = {"market_data": ["LATEST_DATA"], "history_data": ["HISTORY_DATA"], "basic_info": ["BASIC_INFO"]}
MB = 1024 * 1024


def _mb(size: int | None) -> float | None:
    return None if size is None else round(size / MB, 6)


def _rate(hits: int, lookups: int) -> float | None:
    return round(hits / lookups, 4) if lookups else None


def _sum_counters(snapshots: list[dict[str, Any]]) -> dict[str, Any]:
    levels = {level: [0, 0] for level in LEVELS}
    rules: dict[str, dict[str, int]] = {}
    l1_keys = l1_bytes = 0
    for snap in snapshots:
        for level, row in snap["levels"].items():
            levels[level][0] += row["lookups"]
            levels[level][1] += row["hits"]
        for rule, row in snap["rules"].items():
            total = rules.setdefault(rule, {"fetches": 0, "hits": 0, "stores": 0, "store_keys": 0})
            for field in total:
                total[field] += row[field]
        l1_keys += snap["l1"]["keys"]
        l1_bytes += snap["l1"]["bytes"]
    return {"levels": levels, "rules": rules, "l1_keys": l1_keys, "l1_bytes": l1_bytes}


def _shared_level_figures(level: str) -> tuple[int | None, int | None]:
    """(keys, bytes) of L2 or L3 over every rule; (None, None) when that store does not answer."""
    measure = backends.l2_figures if level == "L2" else backends.l3_figures
    keys = 0
    size: int | None = 0
    try:
        for rule in rulebook.all():
            count, used = measure(rule)
            keys += count
            size = None if used is None or size is None else size + used
    except Exception as exc:
        (backends.outage if level == "L2" else backends.l3_outage).failed(exc)
        return None, None
    return keys, size


def cache_counters() -> dict[str, Any]:
    """Hit/miss counters summed over every live process (with the number of processes)."""
    sync.ensure_started()
    snapshots, _ = sync.process_snapshots()
    return {**_sum_counters(snapshots), "processes": len(snapshots)}


def service_started_at() -> float:
    """When the service started: the start of its oldest live process (each publishes it with its
    cache counters; a process's record outlives it by a few sync intervals). Synchronous I/O (Redis)."""
    snapshots, _ = sync.process_snapshots()
    return min((float(s.get("started_at") or STARTED_AT) for s in snapshots), default=STARTED_AT)


def cache_stats() -> dict[str, Any]:
    """The spec's cache statistics: measured, summed over every process; unknown figures are null."""
    counted = cache_counters()
    per_level: dict[str, dict[str, Any]] = {}
    keys: dict[str, int | None] = {"L1": counted["l1_keys"]}
    sizes: dict[str, int | None] = {"L1": counted["l1_bytes"]}
    for level in ("L2", "L3"):
        keys[level], sizes[level] = _shared_level_figures(level)
    for level in LEVELS:
        lookups, hits = counted["levels"][level]
        per_level[level] = {"keys": keys[level], "hit_rate": _rate(hits, lookups), "memory_mb": _mb(sizes[level])}
    fetches = sum(r["fetches"] for r in counted["rules"].values())
    hits = sum(r["hits"] for r in counted["rules"].values())
    hit_rate = _rate(hits, fetches)
    known_keys = [k for k in keys.values() if k is not None]
    known_sizes = [s for s in sizes.values() if s is not None]
    return {
        "total_keys": sum(known_keys) if len(known_keys) == len(LEVELS) else None,
        "hit_rate": hit_rate,
        "miss_rate": None if hit_rate is None else round(1 - hit_rate, 4),
        "memory_usage_mb": _mb(sum(known_sizes)) if len(known_sizes) == len(LEVELS) else None,
        "cache_levels": per_level,
        "requests": fetches,
        "processes": counted["processes"],
    }


def rules_for_type(cache_type: str) -> list[str]:
    """Rule names a cache_type covers; ValueError names the allowed values."""
    if cache_type == "all":
        return list(rulebook.all())
    if cache_type not in CACHE_TYPES:
        raise ValueError(f"cache_type must be one of {', '.join([*CACHE_TYPES, 'all'])}, got {cache_type!r}")
    return CACHE_TYPES[cache_type]


@dataclass(frozen=True)
class Cleared:
    keys: int
    bytes: int
    complete: bool  # False when some process or store did not answer (the figures then undercount)


def cache_clear(*, cache_type: str = "all", level: str | None = None) -> Cleared:
    """Delete exactly the entries of `cache_type` in `level` (every level when None), in every process."""
    rules = rules_for_type(cache_type)
    if level is not None and level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    keys = size = 0
    complete = True
    if level in (None, "L1"):
        replies, complete = sync.broadcast("clear", {"rules": rules})
        keys += sum(r["keys"] for r in replies)
        size += sum(r["bytes"] for r in replies)
    for shared, clear in (("L2", backends.l2_clear), ("L3", backends.l3_clear)):
        if level not in (None, shared):
            continue
        try:
            for rule in rules:
                freed = clear(rule)
                keys += freed.keys
                size += freed.bytes
                if shared == "L2" and rule == "LATEST_DATA":
                    quote_bytes_clear(shared=True)  # the feed's serialised copies of the same quotes
        except Exception as exc:
            (backends.outage if shared == "L2" else backends.l3_outage).failed(exc)
            complete = False
    logger.info("cache cleared: type=%s level=%s keys=%d bytes=%d", cache_type, level or "all", keys, size)
    return Cleared(keys, size, complete)
