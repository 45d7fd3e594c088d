"""Celery tasks of marketdata (thin: each calls one service)."""

from __future__ import annotations

from celery import shared_task

from marketdata.services.calendar import calendar_sync as calendar_sync_service


@shared_task(name="marketdata.tasks.calendar_sync", ignore_result=True)
def calendar_sync() -> dict[str, str | None]:
    """Re-merge the calendar's layers (beat runs this every ARGUS_CALENDAR_SYNC_INTERVAL, daily)."""
    synced = calendar_sync_service()
    return {market: s.covered_until.isoformat() if s.covered_until else None for market, s in synced.items()}
