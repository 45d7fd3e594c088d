"""Periodic pool work (Celery beat, or the embedded scheduler)."""

from __future__ import annotations

from celery import shared_task

from pools.services import pool_autoscale, pool_health_check, pools_due


@shared_task(name="pools.tasks.pools_health_check", ignore_result=True)
def pools_health_check() -> None:
    """Probe the nodes of every pool that is due, then let auto-scaling act on measured utilisation."""
    for name in pools_due():
        pool_health_check(name=name)
        pool_autoscale(name=name)
