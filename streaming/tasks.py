"""Celery tasks of marketdata (thin: each calls one service)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from celery import shared_task

from streaming.services.feed import feed_poll as feed_poll_service


@shared_task(name="streaming.tasks.feed_poll", ignore_result=True)
def feed_poll() -> dict[str, Any]:
    """Poll the data source once and ingest what changed (beat runs this every ARGUS_FEED_INTERVAL)."""
    return asdict(feed_poll_service())
