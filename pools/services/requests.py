"""Requests to upstream nodes through a named pool."""

from __future__ import annotations

from typing import Any

from pools.registry import registry
from pools.runtime import PoolResponse, PoolUnavailable


def pool_request(*, name: str, method: str, path: str, params: dict[str, Any] | None = None) -> PoolResponse:
    """Send one request through pool `name` (retried once on another node; PoolUnavailable says what was tried)."""
    pool = registry.get(name)
    if pool is None:
        raise PoolUnavailable(f"connection pool '{name}' does not exist; create it at /api/v1/connection_pool/pools")
    return pool.request(method, path, params)
