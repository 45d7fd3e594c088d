"""Alert evaluation: compare measured figures with each enabled rule; record, log and send changes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
from django.conf import settings

from cachemgr.services.stats import cache_counters
from core import clock
from core.envelope import utc_timestamp
from monitoring.models import AlertEvent, AlertRule
from monitoring.selectors import service_metrics, system_metrics
from monitoring.services.metrics import metrics_snapshot

logger = logging.getLogger("argus.alerts")


# Figures measured by apps above monitoring (marketdata: calendar_days_left), registered when they load.
_extra_metrics: dict[str, Callable[[], float | None]] = {}


def register_metric(name: str, measure: Callable[[], float | None]) -> None:
    """Let alert rules read `measure()` as metric `name` (one of AlertRule.Metric)."""
    _extra_metrics[name] = measure


def _measured() -> dict[str, float | None]:
    figures: dict[str, Any] = {**service_metrics(), **system_metrics()}
    for name, measure in _extra_metrics.items():
        try:
            figures[name] = measure()
        except Exception:  # a broken figure leaves its rules unevaluated, never the others
            logger.warning("alert metric %s failed", name, exc_info=True)
    return {metric: figures.get(metric) for metric in AlertRule.Metric.values}


def _samples() -> dict[str, int | None]:
    """How many samples each rate or mean is measured over: requests in the metrics window, cache reads counted."""
    window = int(sum(row[0] for row in metrics_snapshot().window))
    try:
        reads: int | None = sum(row["fetches"] for row in cache_counters()["rules"].values())
    except Exception:
        logger.exception("cache counters unavailable for the alert rules' sample counts")
        reads = None
    return {
        AlertRule.Metric.CACHE_HIT_RATE: reads,
        AlertRule.Metric.ERROR_RATE: window,
        AlertRule.Metric.RESPONSE_TIME: window,
    }


def alert_notify(event: AlertEvent) -> str:
    """POST the event to ARGUS_ALERT_WEBHOOK_URL; returns what happened, for the event row."""
    url = settings.ARGUS_ALERT_WEBHOOK_URL
    if not url:
        return ""
    payload = {
        "rule": event.rule.name,
        "metric": event.rule.metric,
        "status": event.kind,
        "value": event.value,
        "threshold": event.threshold,
        "message": event.message,
        "timestamp": utc_timestamp(),
    }
    try:
        response = httpx.post(url, json=payload, timeout=settings.ARGUS_ALERT_WEBHOOK_TIMEOUT)
    except httpx.HTTPError as exc:
        logger.warning("alert webhook failed: %s", exc)
        return f"failed: {type(exc).__name__}"[:100]
    return f"HTTP {response.status_code}"


def _transition(rule: AlertRule, value: float, firing: bool) -> AlertEvent:
    kind = AlertEvent.Kind.FIRING if firing else AlertEvent.Kind.RESOLVED
    verb = "breaches" if firing else "is back within"
    message = f"{rule.name}: {rule.metric}={value:g} {verb} {rule.get_operator_display()} {rule.threshold:g}"
    event = AlertEvent.objects.create(rule=rule, kind=kind, value=value, threshold=rule.threshold, message=message)
    (logger.warning if firing else logger.info)("alert %s: %s", kind, message)
    status = alert_notify(event)
    if status:
        event.webhook_status = status
        event.save(update_fields=["webhook_status"])
    return event


def alerts_evaluate() -> list[AlertEvent]:
    """Evaluate every enabled rule once; returns the events of rules that started or stopped firing."""
    figures = _measured()
    samples = _samples()
    events = []
    now = clock.now()
    for rule in AlertRule.objects.filter(enabled=True):
        value = figures.get(rule.metric)
        rule.last_evaluated_at = now
        rule.last_value = value
        counted = samples.get(rule.metric) if rule.metric in AlertRule.SAMPLED_METRICS else None
        if rule.min_samples and rule.metric in AlertRule.SAMPLED_METRICS and (counted or 0) < rule.min_samples:
            # Too few requests (or cache reads) to judge: no transition either way until there are enough.
            logger.debug("alert %s: %s samples, fewer than %d; not judged", rule.name, counted, rule.min_samples)
        elif value is not None:
            breached = rule.breached(float(value))
            if breached != rule.firing:
                rule.firing = breached
                events.append(_transition(rule, float(value), breached))
        rule.save(update_fields=["firing", "last_value", "last_evaluated_at"])
    return events
