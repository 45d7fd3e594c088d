"""Celery tasks of the monitoring app (beat runs them from ARGUS_PERIODIC_JOBS)."""

from __future__ import annotations

from celery import shared_task

from monitoring.services.alerts import alerts_evaluate as evaluate


@shared_task(name="monitoring.tasks.alerts_evaluate", ignore_result=True)
def alerts_evaluate() -> int:
    """Evaluate the alert rules; returns how many rules changed state."""
    return len(evaluate())
