"""The data source's probe for /health (registered as the spec's "xtquant" service by marketdata/apps.py)."""

from __future__ import annotations

from marketdata.sources import get_source
from monitoring.services.health import Probe


def probe_source() -> Probe:
    try:
        source = get_source()
        health = source.health()
    except Exception as exc:
        return Probe("unhealthy", str(exc), 0.0)
    label = f"{source.name}{' (simulated)' if source.serves_simulated() else ''}: {health.detail}"
    return Probe("healthy" if health.ok else "unhealthy", label, health.latency_ms)
