"""Reads of pools: rows, and measurements summed over every process that runs the pool.

Per process: a process's own live pool measures active and idle connections, requests, errors,
latency and busy time. Aggregated: with Redis, every process publishes that snapshot every
ARGUS_POOL_PUBLISH_INTERVAL seconds; readers sum the snapshots younger than
ARGUS_POOL_METRICS_STALE seconds (their own process's live figures replace its published ones).
Without Redis there is one process, so its own figures are the whole truth.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import orjson
from django.conf import settings

from core import clock
from core.errors import NotFound
from core.redis import redis_client
from pools.models import PoolConfig
from pools.registry import PROCESS_ID, metrics_key, registry
from pools.window import WINDOW_SECONDS, Totals, totals

logger = logging.getLogger("argus.pools")


def pool_get(*, name: str) -> PoolConfig:
    """The pool row named `name` with its nodes (NOT_FOUND when there is none)."""
    try:
        return PoolConfig.objects.prefetch_related("nodes").get(name=name)
    except PoolConfig.DoesNotExist:
        raise NotFound(f"no connection pool named '{name}'; GET /api/v1/connection_pool/pools lists them") from None


def pool_list() -> list[PoolConfig]:
    """Every pool row with its nodes."""
    return list(PoolConfig.objects.prefetch_related("nodes"))


@dataclass(frozen=True)
class NodeMeasure:
    key: str
    connections: int  # open connections (in use + idle), all processes
    window: Totals


@dataclass(frozen=True)
class PoolMeasure:
    processes: int
    size: int  # summed capacity of the reporting processes
    active: int
    idle: int
    window: Totals
    nodes: dict[str, NodeMeasure]
    measured_at: float | None

    @property
    def utilization(self) -> float:
        return round(self.active / self.size, 4) if self.size else 0.0


def _snapshots(name: str) -> list[dict[str, Any]]:
    live = registry.get(name)
    own = [live.snapshot()] if live is not None and live.used else []
    if not settings.USE_REDIS:
        return own
    try:
        raw = redis_client().hgetall(metrics_key(name))
    except Exception:
        logger.warning("pools: cannot read other processes' measurements of %s", name, exc_info=True)
        return own
    fresh_after = clock.timestamp() - settings.ARGUS_POOL_METRICS_STALE
    others = [orjson.loads(value) for field, value in raw.items() if field.decode() != PROCESS_ID]
    return own + [snap for snap in others if snap["measured_at"] >= fresh_after]


def pool_measure(*, name: str, last: float = WINDOW_SECONDS) -> PoolMeasure:
    """Connections now and request figures over the `last` seconds, summed over processes."""
    snaps = _snapshots(name)
    now = clock.timestamp()
    started = min((s["started"] for s in snaps), default=now)
    node_keys = {key for s in snaps for key in s["nodes"]}
    nodes = {}
    for key in node_keys:
        parts = [s["nodes"][key] for s in snaps if key in s["nodes"]]
        rows = [row for p in parts for row in p["window"]]
        nodes[key] = NodeMeasure(
            key,
            sum(p["active"] + p["idle"] for p in parts),
            totals(rows, last=last, started=min(p["started"] for p in parts), now=now),
        )
    return PoolMeasure(
        processes=len(snaps),
        size=sum(s["size"] for s in snaps),
        active=sum(s["active"] for s in snaps),
        idle=sum(s["idle"] for s in snaps),
        window=totals([row for s in snaps for row in s["window"]], last=last, started=started, now=now),
        nodes=nodes,
        measured_at=max((s["measured_at"] for s in snaps), default=None),
    )
