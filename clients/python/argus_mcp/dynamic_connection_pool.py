"""The user guide's connection pools (动态连接池), a thin client of /api/v1/connection_pool/*.

```python
from argus_mcp.dynamic_connection_pool import PoolConfiguration, connection_pool_manager

pool = await connection_pool_manager.create_pool(
    name="market_data_pool", config=PoolConfiguration(min_size=5, max_size=50, auto_scale=True)
)
metrics = pool.get_metrics()            # GET .../pools/market_data_pool: measured, blocking
await connection_pool_manager.health_check_all()
```

The base URL is the argument, else `ARGUS_URL` (read at each call), else http://localhost:8001.
The pools live in the server; `PoolHandle` is only a name and a way to ask about it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from argus_mcp import calls
from argus_mcp._rest import RestModule
from argus_mcp.calls import Call
from argus_mcp.sync import ArgusClient


@dataclass
class PoolConfiguration:
    """A pool's config as the API takes it; fields left None take the server's defaults (POOL_* settings)."""

    min_size: int | None = None
    max_size: int | None = None
    initial_size: int | None = None
    timeout: float | None = None
    max_idle_time: float | None = None
    health_check_interval: float | None = None
    auto_scale: bool | None = None
    scale_factor: float | None = None
    scale_threshold: float | None = None
    load_balance_strategy: str | None = None  # round_robin, least_connections, weighted_round_robin, random

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in dataclasses.asdict(self).items() if value is not None}


@dataclass
class ServerNode:
    """An upstream node of a pool (another Argus node's host and port)."""

    host: str
    port: int
    weight: float = 1.0
    max_connections: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in dataclasses.asdict(self).items() if value is not None}


class PoolHandle:
    """One pool on the server, by name. Every method asks the server; nothing is cached here."""

    def __init__(self, manager: ConnectionPoolManager, name: str, created: Mapping[str, Any] | None = None) -> None:
        self.manager = manager
        self.name = name
        self.created = dict(created or {})  # the create answer, when this handle came from create_pool

    def __repr__(self) -> str:
        return f"PoolHandle({self.name!r}, {self.manager.base_url!r})"

    def get_metrics(self) -> dict[str, Any]:
        """The pool's measured metrics now (`pool_utilization`, connections, response time, ...); blocking,
        as the guide calls it without `await`. `await pool.fetch_metrics()` is the async form."""
        with ArgusClient(self.manager.base_url, api_key=self.manager.api_key, timeout=self.manager.timeout) as client:
            return dict(client.get_pool(self.name)["metrics"])

    async def fetch_metrics(self) -> dict[str, Any]:
        return dict((await self.manager.get_pool_detail(self.name))["metrics"])

    async def detail(self) -> dict[str, Any]:
        """`{"pool_name", "metrics", "config"}`."""
        return await self.manager.get_pool_detail(self.name)

    async def scale(self, target_size: int) -> dict[str, Any]:
        return await self.manager._call(calls.scale_pool(self.name, target_size))

    async def health_check(self) -> dict[str, Any]:
        return await self.manager._call(calls.pool_health_check(self.name))


class ConnectionPoolManager(RestModule):
    """The guide's `connection_pool_manager`: create, list, inspect, scale and health-check pools."""

    async def create_pool(
        self,
        name: str,
        config: PoolConfiguration | Mapping[str, Any] | None = None,
        server_nodes: Iterable[ServerNode | Mapping[str, Any]] = (),
    ) -> PoolHandle:
        """POST /api/v1/connection_pool/pools; returns the pool's handle (`.created` holds the answer)."""
        body = config.to_dict() if isinstance(config, PoolConfiguration) else dict(config or {})
        nodes = [node.to_dict() if isinstance(node, ServerNode) else dict(node) for node in server_nodes]
        created = await self._call(calls.create_pool(name, body, nodes))
        return PoolHandle(self, name, created)

    def get_pool(self, name: str) -> PoolHandle:
        """A handle on an existing pool (no request is made until it is asked something)."""
        return PoolHandle(self, name)

    async def list_pools(self) -> list[dict[str, Any]]:
        return list((await self._call(calls.list_pools()))["pools"])

    async def get_pool_detail(self, name: str) -> dict[str, Any]:
        return dict(await self._call(calls.get_pool(name)))

    async def delete_pool(self, name: str) -> dict[str, Any]:
        return dict(await self._call(Call("DELETE", f"/api/v1/connection_pool/pools/{name}", shape="body")))

    async def health_check_all(self) -> dict[str, dict[str, Any]]:
        """Probe every node of every pool now: `{pool_name: {"total_nodes", "healthy_nodes", ...}}`."""
        return {pool["name"]: await self.get_pool(pool["name"]).health_check() for pool in await self.list_pools()}


connection_pool_manager = ConnectionPoolManager()

__all__ = ["ConnectionPoolManager", "PoolConfiguration", "PoolHandle", "ServerNode", "connection_pool_manager"]
