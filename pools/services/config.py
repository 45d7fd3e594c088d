"""Services that change pool rows: create, delete, add and remove nodes, scale."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from core.errors import InvalidParameter, NotFound
from pools.models import PoolConfig, ServerNode
from pools.registry import pools_changed
from pools.selectors import pool_get

logger = logging.getLogger("argus.pools")


def pool_create(*, name: str, config: dict[str, Any], server_nodes: list[dict[str, Any]]) -> PoolConfig:
    """Create a pool and its nodes; every process picks it up."""
    if PoolConfig.objects.filter(name=name).exists():
        raise InvalidParameter(f"a connection pool named '{name}' already exists; choose another name or delete it")
    try:
        with transaction.atomic():
            pool = PoolConfig.objects.create(name=name, current_size=config["initial_size"], **config)
            ServerNode.objects.bulk_create(ServerNode(pool=pool, **node) for node in server_nodes)
    except IntegrityError:
        raise InvalidParameter(f"a connection pool named '{name}' already exists") from None
    logger.info(
        "pool %s created: size %d (min %d, max %d), %s, nodes %s",
        name,
        pool.current_size,
        pool.min_size,
        pool.max_size,
        pool.load_balance_strategy,
        ", ".join(f"{n['host']}:{n['port']}" for n in server_nodes) or "none",
    )
    pools_changed()
    return pool


def pool_delete(*, name: str) -> None:
    """Delete a pool; every process closes its connections."""
    pool = pool_get(name=name)
    pool.delete()
    logger.info("pool %s deleted", name)
    pools_changed()


def pool_node_add(*, name: str, node: dict[str, Any]) -> ServerNode:
    """Add a node to a pool (it is healthy until a health check says otherwise)."""
    pool = pool_get(name=name)
    if pool.nodes.filter(host=node["host"], port=node["port"]).exists():
        raise InvalidParameter(f"pool '{name}' already has node {node['host']}:{node['port']}")
    created = ServerNode.objects.create(pool=pool, **node)
    logger.info("pool %s: node %s added (weight %s)", name, created.address, created.weight)
    pools_changed()
    return created


def pool_node_remove(*, name: str, host: str, port: int) -> None:
    """Remove a node from a pool; its connections are closed."""
    pool = pool_get(name=name)
    deleted, _ = pool.nodes.filter(host=host, port=port).delete()
    if not deleted:
        raise NotFound(f"pool '{name}' has no node {host}:{port}")
    logger.info("pool %s: node %s:%d removed", name, host, port)
    pools_changed()


@dataclass(frozen=True)
class ScaleResult:
    previous_size: int
    new_size: int


def pool_scale(*, name: str, target_size: int, reason: str = "manual") -> ScaleResult:
    """Set the pool's size (connections per process) within min_size..max_size."""
    with transaction.atomic():
        try:
            pool = PoolConfig.objects.select_for_update().get(name=name)
        except PoolConfig.DoesNotExist:
            raise NotFound(f"no connection pool named '{name}'") from None
        if not pool.min_size <= target_size <= pool.max_size:
            raise InvalidParameter(
                f"target_size {target_size} is outside pool '{name}' limits: use {pool.min_size}..{pool.max_size}"
            )
        previous = pool.current_size
        pool.current_size = target_size
        pool.save(update_fields=["current_size", "updated_at"])
    logger.info("pool %s scaled from %d to %d connections (%s)", name, previous, target_size, reason)
    pools_changed()
    return ScaleResult(previous, target_size)
