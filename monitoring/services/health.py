"""Health probes: each check really touches the component it names."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection

from cachemgr.keys import feed_status_key
from cachemgr.services import cache_health
from cachemgr.services.backends import l2_value
from marketdata.sources import get_source
from streaming.services.feed import feed_status as stream_status

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


def feed_status() -> dict[str, Any] | None:
    """What the feed wrote after its last poll (cachemgr.keys.feed_status_key()), or None.

    Raises L2Unavailable while Redis is failing (then the stream's status is not asked either).
    """
    status: dict[str, Any] | None = l2_value(feed_status_key())
    return status


def _feed_poll_probe() -> Probe:
    status = feed_status()
    if not status:
        return Probe("unknown", "the feed has not reported a poll yet", 0.0)
    age = round(time.time() - float(status.get("last_poll", 0)), 3)
    if age > settings.ARGUS_FEED_STALE_AFTER:
        return Probe("degraded", f"last poll {age:.0f} s ago (limit {settings.ARGUS_FEED_STALE_AFTER:g} s)", 0.0)
    if status.get("error"):
        return Probe("degraded", f"last poll failed: {status['error']}", 0.0)
    return Probe("healthy", f"last poll {age:.1f} s ago from {status.get('source', '?')}", 0.0)


def probe_feed() -> tuple[Probe, dict[str, Any]]:
    """The feed's freshness (its last poll, fresh within ARGUS_FEED_STALE_AFTER) and the stream's own status."""
    try:
        polled = _feed_poll_probe()
        symbols = stream_status()
    except Exception as exc:
        return Probe("unknown", f"feed status unreadable: {exc}", 0.0), {"stale": None, "detail": str(exc)}
    if symbols.get("stale"):
        listed = ", ".join(symbols.get("stale_symbols", [])[:10])
        degraded = f"{symbols.get('stale_count')} stale symbols: {listed}; {polled.detail}"
        return Probe("degraded", degraded, 0.0), symbols
    if polled.status == "unknown":
        return Probe("healthy", "no stale symbols", 0.0), symbols
    return polled, symbols


def health_report() -> tuple[dict[str, Any], int]:
    """The spec's /health body and its HTTP status: 200 while serving (healthy or degraded), 503 when it cannot.

    unhealthy (503) = the database does not answer; degraded (200) = the cache, the data source or the
    feed is failing while requests are still served.
    """
    probes = {"database": probe_database(), "cache": probe_cache(), "xtquant": probe_source()}
    feed, stream = probe_feed()
    if probes["database"].status == "unhealthy":
        status = "unhealthy"
    elif any(p.status != "healthy" for p in probes.values()) or feed.status == "degraded":
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
            "feed": {"status": feed.status, "detail": feed.detail, "stream": stream},
        },
    }
    return body, 503 if status == "unhealthy" else 200
