"""Periodic jobs' last runs, recorded by whoever runs them (embedded scheduler or Celery) and read by the console.

Kept in L2 (Redis in production, so a Celery worker's record reaches every web process; in-process
in the embedded default, where the scheduler runs in the server itself).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from cachemgr.keys import job_run_key
from cachemgr.services.backends import L2Unavailable, l2_put, l2_value

logger = logging.getLogger("argus.monitoring")

# Kept a day after the last run, so a job that stopped running shows its last run, not "never".
RECORD_SECONDS = 86400.0


def job_record(name: str, *, started: float, finished: float, ok: bool, detail: str = "") -> None:
    """Record one run of the periodic job `name` (epoch seconds; `detail`: the error, if it failed)."""
    record = {"started": started, "finished": finished, "ok": ok, "detail": detail[:300]}
    if not l2_put(job_run_key(name), record, timeout=RECORD_SECONDS):
        logger.debug("could not record the run of %s: L2 is unreachable", name)


def job_runs() -> list[dict[str, Any]]:
    """Every job of ARGUS_PERIODIC_JOBS with its interval, last run, result and next run (epoch seconds or None).

    `next_run` is the last start plus the interval (what both schedulers aim for); `None` before a
    first run. `readable` is False while L2 cannot be read (then nothing is known of the runs).
    """
    rows = []
    for name, job in settings.ARGUS_PERIODIC_JOBS.items():
        interval = float(job["interval"])
        try:
            record = l2_value(job_run_key(name))
            readable = True
        except L2Unavailable:
            record, readable = None, False
        row: dict[str, Any] = {
            "name": name,
            "task": job["task"],
            "interval": interval,
            "readable": readable,
            "last_run": None,
            "finished": None,
            "ok": None,
            "detail": "",
            "next_run": None,
        }
        if isinstance(record, dict):
            row.update(
                last_run=record.get("started"),
                finished=record.get("finished"),
                ok=record.get("ok"),
                detail=record.get("detail", ""),
                next_run=float(record["started"]) + interval if record.get("started") else None,
            )
        rows.append(row)
    return rows
