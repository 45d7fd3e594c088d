"""Celery tasks of the cachemgr app (also run by the embedded scheduler)."""

from __future__ import annotations

from celery import shared_task

from cachemgr.services import cache_optimize as optimize


@shared_task(name="cachemgr.tasks.cache_optimize", ignore_result=True)
def cache_optimize() -> list[str]:
    """The periodic optimize pass (interval: ARGUS_CACHE_OPTIMIZE_INTERVAL)."""
    return optimize().changes
