"""Health probes: each check really touches the component it names."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection

from cachemgr.services import cache_health
from marketdata.sources import get_source

logger = logging.getLogger("argus.monitoring")

PROCESS_STARTED = time.monotonic()


@dataclass(frozen=True)
class Probe:
    status: str  # healthy | degraded | unhealthy
    detail: str
    latency_ms: float


def _timed(func: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = func()
    return result, round((time.perf_counter() - started) * 1000, 3)


def probe_database() -> Probe:
    def query() -> Any:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()

    try:
        _, ms = _timed(query)
    except Exception as exc:
        return Probe("unhealthy", f"{connection.vendor}: {exc}", 0.0)
    return Probe("healthy", connection.vendor, ms)


def probe_cache() -> Probe:
    health = cache_health()
    return Probe(health.status, health.detail, health.latency_ms)


def probe_source() -> Probe:
    try:
        source = get_source()
        health = source.health()
    except Exception as exc:
        return Probe("unhealthy", str(exc), 0.0)
    label = f"{source.name}{' (simulated)' if source.simulated else ''}: {health.detail}"
    return Probe("healthy" if health.ok else "unhealthy", label, health.latency_ms)


def health_report() -> tuple[dict[str, Any], int]:
    """The spec's /health body and its HTTP status: 200 while serving, 503 when it cannot."""
    probes = {"database": probe_database(), "cache": probe_cache(), "xtquant": probe_source()}
    if probes["database"].status == "unhealthy":
        status = "unhealthy"
    elif any(p.status != "healthy" for p in probes.values()):
        status = "degraded"
    else:
        status = "healthy"
    body = {
        "status": status,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "version": settings.ARGUS_VERSION,
        "uptime_seconds": int(time.monotonic() - PROCESS_STARTED),
        "services": {name: probe.status for name, probe in probes.items()},
        "details": {
            **{name: {"detail": p.detail, "latency_ms": p.latency_ms} for name, p in probes.items()},
            "feed": _feed_details(),
        },
    }
    return body, 503 if status == "unhealthy" else 200


def _feed_details() -> dict[str, Any]:
    """The live feed's stale symbols (issue 5); an error here never fails /health."""
    from marketdata.services.feed import feed_status

    try:
        return feed_status()
    except Exception as exc:
        return {"stale": None, "detail": f"feed state unavailable: {exc}"}
