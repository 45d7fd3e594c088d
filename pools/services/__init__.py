"""Pool services: every change to pool rows, node probes, scaling and requests to nodes."""

from pools.services.config import ScaleResult, pool_create, pool_delete, pool_node_add, pool_node_remove, pool_scale
from pools.services.health import pool_health_check, pools_due
from pools.services.requests import pool_request
from pools.services.scaling import pool_autoscale

__all__ = [
    "ScaleResult",
    "pool_autoscale",
    "pool_create",
    "pool_delete",
    "pool_health_check",
    "pool_node_add",
    "pool_node_remove",
    "pool_request",
    "pool_scale",
    "pools_due",
]
