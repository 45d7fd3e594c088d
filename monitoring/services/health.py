"""Health probes: each check really touches the component it names."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection

from cachemgr.services import cache_health, service_started_at
from core import clock
from core.process import uptime_since

logger = logging.getLogger("argus.monitoring")


@dataclass(frozen=True)
class Probe:
    status: str  # healthy | degraded | unhealthy | unknown
    detail: str
    latency_ms: float
    data: dict[str, Any] = field(default_factory=dict)  # more figures for `details` (e.g. the feed's stream)


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


# Probes of components monitoring does not own, registered by their apps when they load
# (marketdata: the data source, as the spec's "xtquant" service; streaming: the feed). A service
# probe counts in `services`; a detail probe only in `details` (degraded turns the whole degraded).
ProbeFn = Callable[[], Probe]
_services: dict[str, ProbeFn] = {}
_details: dict[str, ProbeFn] = {}


def register_probe(name: str, probe: ProbeFn, *, service: bool = True) -> None:
    """Add `probe()` to /health under `name` (once per name; registering again replaces it)."""
    (_services if service else _details)[name] = probe


def unregister_probe(name: str) -> None:
    """Remove the probe registered under `name`, if any."""
    _services.pop(name, None)
    _details.pop(name, None)


def _run(name: str, probe: ProbeFn) -> Probe:
    try:
        return probe()
    except Exception as exc:  # a probe that breaks reports itself, never /health
        logger.warning("health probe %s failed", name, exc_info=True)
        return Probe("unknown", f"{name} probe failed: {exc}", 0.0)


class _SingleFlight:
    """Concurrent /health requests in one process share one run of the probes: a burst of probes
    (load balancers, monitors, a script in a loop) costs one database query, one cache round trip
    and one source check at a time, never one per request (they once exhausted PostgreSQL).
    A request arriving after a run finished starts a new one: no answer is older than its request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: threading.Event | None = None
        self._result: tuple[dict[str, Any], int] | None = None

    def run(self, compute: Any) -> tuple[dict[str, Any], int]:
        with self._lock:
            running = self._running
            leader = running is None
            if leader:
                running = self._running = threading.Event()
        assert running is not None
        if not leader:
            if running.wait(PROBE_WAIT_SECONDS) and self._result is not None:
                return self._result
            return compute()  # the run in flight is stuck: probe on our own rather than wait on
        try:
            result = compute()
            self._result = result
            return result
        finally:
            with self._lock:
                self._running = None
            running.set()


PROBE_WAIT_SECONDS = 10.0
_flight = _SingleFlight()


def health_report() -> tuple[dict[str, Any], int]:
    """The spec's /health body and its HTTP status: 200 while serving (healthy or degraded), 503 when it cannot.

    unhealthy (503) = the database does not answer; degraded (200) = the cache, the data source or the
    feed is failing while requests are still served. Concurrent calls share one run (_SingleFlight).
    """
    return _flight.run(_health_report)


def _health_report() -> tuple[dict[str, Any], int]:
    probes = {"database": probe_database(), "cache": probe_cache()}
    probes.update({name: _run(name, probe) for name, probe in _services.items()})
    details = {name: _run(name, probe) for name, probe in _details.items()}
    if probes["database"].status == "unhealthy":
        status = "unhealthy"
    elif any(p.status != "healthy" for p in probes.values()) or any(p.status == "degraded" for p in details.values()):
        status = "degraded"
    else:
        status = "healthy"
    body = {
        "status": status,
        "timestamp": clock.now().isoformat(timespec="seconds").replace("+00:00", "Z"),
        "version": settings.ARGUS_VERSION,
        "uptime_seconds": uptime_since(service_started_at()),
        "services": {name: probe.status for name, probe in probes.items()},
        "details": {
            **{name: {"detail": p.detail, "latency_ms": p.latency_ms} for name, p in probes.items()},
            **{name: {"status": p.status, "detail": p.detail, **p.data} for name, p in details.items()},
        },
    }
    return body, 503 if status == "unhealthy" else 200
