"""The pool API's response bodies (the spec's 连接池管理 API shapes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pools.models import PoolConfig, ServerNode
from pools.selectors import PoolMeasure


def _iso(moment: datetime | float | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, float):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def node_health(node: ServerNode) -> bool | None:
    """A node's health as last probed; None (unknown) until its first health check.

    An unprobed node is still tried (rotation is optimistic, so a new pool serves at once), but
    nothing claims it is healthy before a probe said so.
    """
    return node.healthy if node.last_health_check is not None else None


def health_status(nodes: list[ServerNode]) -> str:
    """healthy / degraded / unhealthy over the probed nodes; unknown while none has been probed."""
    known = [health for health in map(node_health, nodes) if health is not None]
    if not known:
        return "unknown"
    healthy = sum(known)
    if healthy == len(nodes):
        return "healthy"
    return "degraded" if healthy else "unhealthy"


def pool_summary(pool: PoolConfig, measure: PoolMeasure) -> dict[str, Any]:
    nodes = list(pool.nodes.all())
    return {
        "name": pool.name,
        "active_connections": measure.active,
        "idle_connections": measure.idle,
        "total_connections": measure.active + measure.idle,
        "pool_utilization": measure.utilization,
        "health_status": health_status(nodes),
        "server_nodes_count": len(nodes),
        "last_update": _iso(measure.measured_at),
    }


def _node_metrics(node: ServerNode, measure: PoolMeasure) -> dict[str, Any]:
    measured = measure.nodes.get(node.address)
    if measured is not None and measured.window.requests:
        response_time: float | None = round(measured.window.ms_sum / measured.window.requests, 3)
    else:
        response_time = node.response_time_ms  # the last health probe, when no request went there lately
    return {
        "host": node.host,
        "port": node.port,
        "health_status": node_health(node),
        "current_connections": measured.connections if measured else 0,
        "response_time": response_time,
    }


def pool_detail(pool: PoolConfig, measure: PoolMeasure) -> dict[str, Any]:
    window = measure.window
    return {
        "pool_name": pool.name,
        "metrics": {
            "active_connections": measure.active,
            "idle_connections": measure.idle,
            "total_connections": measure.active + measure.idle,
            "pool_utilization": measure.utilization,
            "avg_response_time": round(window.ms_sum / window.requests, 3) if window.requests else None,
            "error_rate": round(window.errors / window.requests, 4) if window.requests else None,
            "throughput": round(window.requests / window.seconds, 3),
            "server_nodes": [_node_metrics(node, measure) for node in pool.nodes.all()],
            "last_update": _iso(measure.measured_at),
            "window_seconds": round(window.seconds, 3),
            "processes": measure.processes,
        },
        "config": {
            "min_size": pool.min_size,
            "max_size": pool.max_size,
            "timeout": pool.timeout,
            "auto_scale": pool.auto_scale,
            "load_balance_strategy": pool.load_balance_strategy,
            "initial_size": pool.initial_size,
            "current_size": pool.current_size,
            "max_idle_time": pool.max_idle_time,
            "health_check_interval": pool.health_check_interval,
            "scale_factor": pool.scale_factor,
            "scale_threshold": pool.scale_threshold,
        },
    }


def health_details(nodes: list[ServerNode], measure: PoolMeasure) -> dict[str, Any]:
    known = [node_health(n) for n in nodes]
    return {
        "total_nodes": len(nodes),
        "healthy_nodes": known.count(True),
        "unhealthy_nodes": known.count(False),
        "unknown_nodes": known.count(None),  # not probed yet
        "node_details": [
            {
                "host": n.host,
                "port": n.port,
                "health_status": node_health(n),
                "current_connections": measure.nodes[n.address].connections if n.address in measure.nodes else 0,
                "last_health_check": _iso(n.last_health_check),
                "response_time": n.response_time_ms,
                "error": n.last_error or None,
            }
            for n in nodes
        ],
    }
