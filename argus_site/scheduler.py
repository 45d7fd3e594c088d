"""The embedded default's periodic jobs: the same tasks Celery beat runs, inside the server process.

Used only when no broker is configured (settings.ARGUS_EMBEDDED_JOBS). Each job runs in a worker
thread so the event loop keeps serving, and a job never overlaps itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.utils.module_loading import import_string

from core import clock
from monitoring.services.jobs import job_record

logger = logging.getLogger("argus.scheduler")


def _resolve(jobs: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[Callable[[], Any], float]]:
    resolved: dict[str, tuple[Callable[[], Any], float]] = {}
    for name, job in jobs.items():
        try:
            resolved[name] = (import_string(job["task"]), float(job["interval"]))
        except ImportError:
            logger.warning("periodic job %s: task %s is not available; skipped", name, job["task"])
    return resolved


async def _run_once(name: str, func: Callable[[], Any]) -> None:
    started = clock.timestamp()
    ok, detail = True, ""
    try:
        await asyncio.to_thread(func)
    except Exception as exc:
        ok, detail = False, f"{type(exc).__name__}: {exc}"
        logger.exception("periodic job %s failed", name)
    try:  # the console's record of the run (on a thread: L2 may be Redis)
        await asyncio.to_thread(job_record, name, started=started, finished=clock.timestamp(), ok=ok, detail=detail)
    except Exception:
        logger.exception("could not record the run of periodic job %s", name)


async def run_periodic_jobs(jobs: Mapping[str, Mapping[str, Any]]) -> None:
    """Run each job every `interval` seconds until cancelled; the first run is immediate."""
    resolved = _resolve(jobs)
    loop = asyncio.get_running_loop()
    due = dict.fromkeys(resolved, loop.time())
    running: dict[str, asyncio.Task[None]] = {}
    try:
        while True:
            now = loop.time()
            for name, (func, interval) in resolved.items():
                if due[name] <= now and (name not in running or running[name].done()):
                    running[name] = asyncio.create_task(_run_once(name, func))
                    due[name] = now + interval
            wake = min(due.values(), default=now + 60.0)
            await asyncio.sleep(max(0.05, wake - loop.time()))
    finally:
        for task in running.values():
            task.cancel()
