"""The operator console's figures, each read from the service the API (or /health) reads it from.

Nothing here is measured for the page alone: the market status is what the feed published to
WebSocket subscribers, the feed and stale symbols are /health's probe, the WebSocket counters are
`get_stats`'s, request and cache figures are /api/v1/metrics/service's and /api/v1/cache/stats',
pools are /api/v1/connection_pool/*'s, alerts are the alert rules' last evaluation, jobs are the
schedulers' own records and the calendar is the TradingDay table. A section whose service fails
shows the error instead of figures (the rest of the page still renders).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import orjson
from asgiref.sync import async_to_sync
from django.conf import settings

from cachemgr.models import CacheRule
from cachemgr.services.stats import cache_counters, cache_stats
from core import clock
from marketdata import recorded
from marketdata.calendar import db_calendar
from marketdata.selectors.coverage import symbol_ledger
from marketdata.selectors.recorded import archive_summary
from marketdata.services.calendar import calendar_coverage
from marketdata.sessions import phase_at, shanghai
from marketdata.sources import get_source
from monitoring.models import AlertRule
from monitoring.selectors import service_metrics
from monitoring.services.jobs import job_runs
from pools.selectors import pool_list, pool_measure
from streaming import get_store
from streaming.services.feed import feed_status, market_moment
from streaming.services.health import feed_status as feed_poll_status
from streaming.services.health import probe_feed

logger = logging.getLogger("argus.console")


def _moment(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(float(epoch), UTC)


def _market() -> dict[str, Any]:
    """The market status the feed last published (what a new WebSocket subscriber is told), else computed."""
    source = get_source()
    raw = async_to_sync(get_store().value)("market")
    published = orjson.loads(raw) if raw else None
    moment = market_moment(source, clock.now())
    computed_phase = phase_at(moment, "SH", db_calendar).value
    return {
        "phase": published["market_phase"] if published else computed_phase,
        "trading_day": published["trading_day"] if published else shanghai(moment).date().isoformat(),
        "published": published is not None,
        "simulated": source.serves_simulated(),
        "replayed": getattr(source, "clock", "real") == "replay",
        "simulated_time": _parse(published.get("simulated_time")) if published else None,
        "source": source.name,
        "now": clock.now(),
    }


def market_status() -> dict[str, Any]:
    """The market section alone (the market page's provenance line); {"error": ...} when it cannot be read."""
    try:
        return _market()
    except Exception as exc:
        logger.warning("market status unavailable", exc_info=True)
        return {"error": f"{type(exc).__name__}: {exc}"}


def _parse(text: str | None) -> datetime | None:
    return None if not text else datetime.fromisoformat(text.replace("Z", "+00:00"))


def _feed() -> dict[str, Any]:
    probe = probe_feed()  # /health's details.feed
    polled = feed_poll_status() or {}
    last_poll = polled.get("last_poll")
    stream = feed_status()
    return {
        "status": probe.status,
        "detail": probe.detail,
        "last_poll": _moment(last_poll),
        "age_seconds": None if last_poll is None else round(clock.timestamp() - float(last_poll), 1),
        "stale_after": settings.ARGUS_FEED_STALE_AFTER,
        "source": polled.get("source"),
        "ticks": polled.get("ticks"),
        "error": polled.get("error"),
        "interval": settings.ARGUS_FEED_INTERVAL,
        "mode": "whole market" if settings.ARGUS_FEED_WHOLE_MARKET else "subscribed symbols",
        "runner": "embedded scheduler" if settings.ARGUS_EMBEDDED_JOBS else "Celery beat or manage.py feed",
        "stale_count": stream["stale_count"],
        "stale_symbols": stream["stale_symbols"],
    }


def _websocket() -> dict[str, Any]:
    processes = async_to_sync(get_store().gather)()  # the counters `get_stats` sums
    return {
        "connections": sum(p.connections for p in processes),
        "subscriptions": sum(p.subscriptions for p in processes),
        "messages_sent": sum(p.messages_sent for p in processes),
        "processes": [
            {
                "connections": p.connections,
                "subscriptions": p.subscriptions,
                "messages_sent": p.messages_sent,
                "started": _moment(p.started_at),
            }
            for p in processes
        ],
    }


def _requests() -> dict[str, Any]:
    metrics = service_metrics()
    return {**metrics, "window_seconds": settings.ARGUS_METRICS_WINDOW}


def _cache() -> dict[str, Any]:
    stats = cache_stats()
    counted = cache_counters()["rules"]
    rules = []
    for rule in CacheRule.objects.order_by("name"):
        row = counted.get(rule.name, {"fetches": 0, "hits": 0})
        rate = round(row["hits"] / row["fetches"], 4) if row["fetches"] else None
        rules.append(
            {
                "name": rule.name,
                "level": rule.level,
                "ttl": rule.ttl,
                "reads": row["fetches"],
                "hits": row["hits"],
                "hit_rate": rate,
            }
        )
    return {**stats, "rules": rules}


def _pools() -> list[dict[str, Any]]:
    rows = []
    for pool in pool_list():
        measure = pool_measure(name=pool.name)
        rows.append(
            {
                "name": pool.name,
                "size": pool.current_size,
                "active": measure.active,
                "utilization": measure.utilization,
                "last_health_check": pool.last_health_check,
                "nodes": [
                    {
                        "address": f"{n.host}:{n.port}",
                        "healthy": n.healthy,
                        "response_time_ms": n.response_time_ms,
                        "last_health_check": n.last_health_check,
                        "last_error": n.last_error,
                    }
                    for n in pool.nodes.all()
                ],
            }
        )
    return rows


def _alerts() -> dict[str, Any]:
    rules = list(AlertRule.objects.filter(enabled=True))
    return {"firing": [r for r in rules if r.firing], "enabled": len(rules)}


def _jobs() -> list[dict[str, Any]]:
    return [{**row, "last_run": _moment(row["last_run"]), "next_run": _moment(row["next_run"])} for row in job_runs()]


def _calendar() -> dict[str, dict[str, Any]]:
    return calendar_coverage()


CONSOLE_LEDGER_SYMBOLS = 20


def _recorder() -> dict[str, Any]:
    """The tick recorder: where it writes, the days kept, and the bar ledger of the latest recorded day
    (its first CONSOLE_LEDGER_SYMBOLS symbols; GET /api/v1/market_data/coverage answers for any)."""
    days = recorded.recorded_days()
    figures: dict[str, Any] = {
        "enabled": settings.ARGUS_RECORDER_ENABLED,
        "dir": settings.ARGUS_RECORDER_DIR,
        "days": days[-10:],
        "day": days[-1] if days else None,
        "ledger": {},
        "archive": None,
    }
    if not days:
        return figures
    day = date.fromisoformat(days[-1])
    writers = recorded.manifests(day)
    symbols = list(recorded.iter_symbols(day))
    shown = symbols[:CONSOLE_LEDGER_SYMBOLS]
    found = recorded.read_many(day, shown)
    figures["ledger"] = {s: symbol_ledger(day, s, writers, found[s])[0] for s in shown}
    figures["symbols"] = len(symbols)
    figures["archive"] = archive_summary(day)
    return figures


SECTIONS: dict[str, Callable[[], Any]] = {
    "market": _market,
    "feed": _feed,
    "websocket": _websocket,
    "requests": _requests,
    "cache": _cache,
    "pools": _pools,
    "alerts": _alerts,
    "jobs": _jobs,
    "calendar": _calendar,
    "recorder": _recorder,
}


def console_figures() -> dict[str, Any]:
    """Every section's figures; a failing section is {"error": "..."} (logged), never a failed page."""
    figures: dict[str, Any] = {}
    for name, read in SECTIONS.items():
        try:
            figures[name] = read()
        except Exception as exc:
            logger.warning("console section %s failed", name, exc_info=True)
            figures[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return figures
