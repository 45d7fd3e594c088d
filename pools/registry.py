"""Every process's live pools, kept in step with the PoolConfig/ServerNode rows.

Rows are the shared truth. Any change (API, admin, health check, scaling) sets a new version
token in the shared cache; each process compares its token at most every ARGUS_POOL_SYNC_INTERVAL
seconds on use and reloads the rows when it differs. With Redis, each process also publishes its
measurements every ARGUS_POOL_PUBLISH_INTERVAL seconds so the API can sum them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

import orjson
from django.conf import settings

from cachemgr.keys import cache_key, redis_key
from cachemgr.services.backends import L2Unavailable, l2_put, l2_value
from core.redis import redis_client
from pools.models import PoolConfig
from pools.runtime import LivePool, NodeSpec, PoolSpec

logger = logging.getLogger("argus.pools")

PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}"
_UNKNOWN = object()  # the config version while Redis could not be read: whatever is read next differs


def version_key() -> str:
    return cache_key("pools", "version")


def metrics_key(pool_name: str) -> str:
    return redis_key("pools", "metrics", pool_name)


def spec_of(row: PoolConfig) -> PoolSpec:
    """The immutable view of a row (and its prefetched nodes) that a live pool runs on."""
    nodes = tuple(
        NodeSpec(n.host, n.port, n.weight, n.max_connections, n.healthy, n.last_health_check) for n in row.nodes.all()
    )
    return PoolSpec(
        name=row.name,
        size=row.current_size,
        min_size=row.min_size,
        max_size=row.max_size,
        timeout=row.timeout,
        max_idle_time=row.max_idle_time,
        health_check_interval=row.health_check_interval,
        strategy=row.load_balance_strategy,
        nodes=nodes,
    )


class Registry:
    """The process's pools by name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pools: dict[str, LivePool] = {}
        self._version: object = None
        self._checked = 0.0
        self._stale = True
        self._publisher: threading.Thread | None = None

    def get(self, name: str) -> LivePool | None:
        self.sync()
        return self._pools.get(name)

    def all(self) -> dict[str, LivePool]:
        self.sync()
        return dict(self._pools)

    def invalidate(self) -> None:
        """Reload on next use (this process changed the rows)."""
        self._stale = True

    def sync(self) -> None:
        now = time.monotonic()
        if not self._stale and now - self._checked < settings.ARGUS_POOL_SYNC_INTERVAL:
            return
        self._checked = now
        try:
            version = l2_value(version_key())
        except L2Unavailable:
            # Skipped at once while Redis is failing. Rows are the truth: a process that must reload
            # does; the others keep their config. Either way they reload once Redis answers, since a
            # change made meanwhile could not be announced.
            if self._stale:
                self._reload(_UNKNOWN)
            else:
                self._version = _UNKNOWN
            return
        if self._stale or version != self._version:
            self._reload(version)

    def _reload(self, version: object) -> None:
        rows = list(PoolConfig.objects.prefetch_related("nodes"))
        with self._lock:
            self._stale = False
            self._version = version
            wanted = {row.name: spec_of(row) for row in rows}
            for name in [n for n in self._pools if n not in wanted]:
                self._pools.pop(name).close()
            for name, spec in wanted.items():
                if name in self._pools:
                    self._pools[name].apply(spec)
                else:
                    self._pools[name] = LivePool(spec)
        self._start_publisher()

    def close(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()
            self._stale = True

    def _start_publisher(self) -> None:
        if not settings.USE_REDIS or (self._publisher is not None and self._publisher.is_alive()):
            return
        self._publisher = threading.Thread(target=self._publish_forever, name="argus-pools-metrics", daemon=True)
        self._publisher.start()

    def _publish_forever(self) -> None:
        while True:
            time.sleep(settings.ARGUS_POOL_PUBLISH_INTERVAL)
            try:
                self.publish()
            except Exception:
                logger.warning("pools: publishing measurements failed", exc_info=True)

    def publish(self) -> None:
        """Write this process's snapshot of every pool to Redis (one hash per pool, a field per process)."""
        redis = redis_client()
        ttl = int(settings.ARGUS_POOL_METRICS_STALE) + 1
        with self._lock:
            pools = {name: pool for name, pool in self._pools.items() if pool.used}
        pipe = redis.pipeline()
        for name, pool in pools.items():
            pipe.hset(metrics_key(name), PROCESS_ID, orjson.dumps(pool.snapshot()))
            pipe.expire(metrics_key(name), ttl)
        pipe.execute()


registry = Registry()


def pools_changed() -> None:
    """Tell every process (this one at once) that pool rows changed."""
    if not l2_put(version_key(), uuid.uuid4().hex):
        logger.warning("pools changed while Redis is unreachable; other processes reload them when Redis is back")
    registry.invalidate()
