"""Reads of measured figures: the spec's system and service metrics, and the Prometheus text."""

from __future__ import annotations

import logging
from typing import Any

import psutil
from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string

from monitoring.services.metrics import BUCKETS, Snapshot, metrics_snapshot

logger = logging.getLogger("argus.monitoring")

_process = psutil.Process()
# The first cpu_percent() call only starts the measurement; later calls report since the last one.
psutil.cpu_percent(interval=None)
_process.cpu_percent(interval=None)

# The cache engineer's statistics, looked up by name so either side can land first.
CACHE_STATS_FUNCTIONS = (
    "cachemgr.services.stats.cache_stats",
    "cachemgr.selectors.cache_stats",
    "cachemgr.services.cache_stats",
)


def system_metrics() -> dict[str, Any]:
    """CPU, memory, disk, network I/O and this process, from psutil."""
    net = psutil.net_io_counters()
    with _process.oneshot():
        process_info = {
            "pid": _process.pid,
            "threads": _process.num_threads(),
            "open_files": len(_process.open_files()),
        }
    return {
        "cpu_percent": psutil.cpu_percent(interval=None),
        "memory_percent": psutil.virtual_memory().percent,
        "disk_usage_percent": psutil.disk_usage(str(settings.BASE_DIR)).percent,
        "network_io": {"bytes_sent": net.bytes_sent, "bytes_recv": net.bytes_recv},
        "process_info": process_info,
    }


def cache_hit_rate() -> float | None:
    """The cache's measured hit rate, or None when the cache manager does not report one."""
    for path in CACHE_STATS_FUNCTIONS:
        try:
            stats = import_string(path)()
        except ImportError:
            continue
        except Exception:
            logger.exception("cache statistics (%s) failed", path)
            return None
        rate = stats.get("hit_rate") if isinstance(stats, dict) else getattr(stats, "hit_rate", None)
        return None if rate is None else float(rate)
    return None


def database_connections() -> int | None:
    """PostgreSQL: sessions on this database (pg_stat_activity); other databases: None (not knowable)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def _service_figures(snap: Snapshot) -> dict[str, Any]:
    window = settings.ARGUS_METRICS_WINDOW
    n = sum(row[0] for row in snap.window)
    errors = sum(row[1] for row in snap.window)
    duration = sum(row[2] for row in snap.window)
    return {
        "requests_total": snap.requests_total,
        "requests_per_second": round(n / window, 3),
        "avg_response_time_ms": round(duration / n, 3) if n else None,
        "error_rate": round(errors / n, 6) if n else None,
        "active_connections": snap.ws_active,
    }


def service_metrics() -> dict[str, Any]:
    """The spec's service metrics, summed over every server process (rates over the sliding window)."""
    return {
        **_service_figures(metrics_snapshot()),
        "cache_hit_rate": cache_hit_rate(),
        "database_connections": database_connections(),
    }


def _gauge(lines: list[str], name: str, help_text: str, value: float | None) -> None:
    if value is None:
        return
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value}"]


def _histograms(lines: list[str], snap: Snapshot) -> None:
    name = "argus_http_request_duration_seconds"
    lines += [f"# HELP {name} Request latency per endpoint (URL pattern).", f"# TYPE {name} histogram"]
    endpoints = sorted({key.rsplit("|", 1)[0] for key in snap.hist})
    for endpoint in endpoints:
        label = endpoint.replace("\\", "\\\\").replace('"', '\\"')
        running = 0.0
        for bound in [*map(str, BUCKETS), "+Inf"]:
            running += snap.hist.get(f"{endpoint}|{bound}", 0.0)
            lines.append(f'{name}_bucket{{endpoint="{label}",le="{bound}"}} {int(running)}')
        lines.append(f'{name}_sum{{endpoint="{label}"}} {snap.hist_sum.get(endpoint, 0.0)}')
        lines.append(f'{name}_count{{endpoint="{label}"}} {int(running)}')


def prometheus_text() -> str:
    """The same figures in the Prometheus text format, plus latency histograms per endpoint."""
    snap = metrics_snapshot()
    service = {
        **_service_figures(snap),
        "cache_hit_rate": cache_hit_rate(),
        "database_connections": database_connections(),
    }
    system = system_metrics()
    lines = [
        "# HELP argus_requests_total Requests served (all processes).",
        "# TYPE argus_requests_total counter",
        f"argus_requests_total {snap.requests_total}",
        "# HELP argus_errors_total Requests answered with a 5xx status (all processes).",
        "# TYPE argus_errors_total counter",
        f"argus_errors_total {snap.errors_total}",
    ]
    _gauge(
        lines,
        "argus_requests_per_second",
        "Requests per second over the sliding window.",
        service["requests_per_second"],
    )
    _gauge(
        lines, "argus_avg_response_time_ms", "Mean response time over the window (ms).", service["avg_response_time_ms"]
    )
    _gauge(lines, "argus_error_rate", "Share of 5xx responses over the window.", service["error_rate"])
    _gauge(lines, "argus_active_connections", "Open WebSocket connections.", service["active_connections"])
    _gauge(lines, "argus_cache_hit_rate", "Cache hit rate.", service["cache_hit_rate"])
    _gauge(lines, "argus_database_connections", "Database sessions.", service["database_connections"])
    _gauge(lines, "argus_cpu_percent", "Host CPU used (%).", system["cpu_percent"])
    _gauge(lines, "argus_memory_percent", "Host memory used (%).", system["memory_percent"])
    _gauge(lines, "argus_disk_usage_percent", "Disk used (%).", system["disk_usage_percent"])
    _gauge(lines, "argus_network_bytes_sent", "Host bytes sent.", system["network_io"]["bytes_sent"])
    _gauge(lines, "argus_network_bytes_recv", "Host bytes received.", system["network_io"]["bytes_recv"])
    _histograms(lines, snap)
    return "\n".join(lines) + "\n"
