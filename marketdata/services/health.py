"""The data source's probe for /health (registered as the spec's "xtquant" service by marketdata/apps.py)."""

from __future__ import annotations

from django.conf import settings

from marketdata.services.calendar import EXTEND_HINT, calendar_horizon
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


def probe_calendar() -> Probe:
    """details.calendar: covered_until per market; degraded when coverage ends within the horizon."""
    status, reason, markets = calendar_horizon()
    return Probe(
        status,
        reason,
        0.0,
        {
            "covered_until": {market: row["covered_until"] for market, row in markets.items()},
            "days_left": {market: row["days_left"] for market, row in markets.items()},
            "horizon_days": settings.ARGUS_CALENDAR_HORIZON_DAYS,
            "how_to_extend": EXTEND_HINT,
        },
    )
