"""The user guide's monitors (性能监控): `system_monitor.get_metrics()`, `service_monitor.get_metrics()`.

Thin clients of GET /api/v1/metrics/system and /api/v1/metrics/service: the spec's figures as
measured by the server. The service metrics also carry the guide's names for two of them:
`qps` (= `requests_per_second`) and `avg_response_time` (= `avg_response_time_ms`, milliseconds).
The base URL is the argument, else `ARGUS_URL` (read at each call), else http://localhost:8001.
"""

from __future__ import annotations

from typing import Any

from argus_mcp import calls
from argus_mcp._rest import RestModule
from argus_mcp.calls import Call


class _Monitor(RestModule):
    async def _data(self, call: Call) -> dict[str, Any]:
        return dict(await self._call(call))


class SystemMonitor(_Monitor):
    async def get_metrics(self) -> dict[str, Any]:
        """`cpu_percent`, `memory_percent`, `disk_usage_percent`, `network_io`, `process_info`."""
        return await self._data(calls.system_metrics())


class ServiceMonitor(_Monitor):
    async def get_metrics(self) -> dict[str, Any]:
        """The spec's service metrics plus the guide's `qps` and `avg_response_time` (ms)."""
        metrics = await self._data(calls.service_metrics())
        metrics.setdefault("qps", metrics.get("requests_per_second"))
        metrics.setdefault("avg_response_time", metrics.get("avg_response_time_ms"))
        return metrics


system_monitor = SystemMonitor()
service_monitor = ServiceMonitor()


async def get_system_metrics() -> dict[str, Any]:
    """System and service metrics in one dict (the guide's alert example reads both kinds)."""
    return {**await system_monitor.get_metrics(), **await service_monitor.get_metrics()}


__all__ = ["ServiceMonitor", "SystemMonitor", "get_system_metrics", "service_monitor", "system_monitor"]
