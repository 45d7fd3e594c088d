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
    try:
        await asyncio.to_thread(func)
    except Exception:
        logger.exception("periodic job %s failed", name)


async def run_periodic_jobs(jobs: Mapping[str, Mapping[str, Any]]) -> None:
    """Run each job every `interval` seconds until cancelled; the first run is immediate, except for
    a job marked `"immediate": False` (a daily one: its first run is an interval after start)."""
    resolved = _resolve(jobs)
    loop = asyncio.get_running_loop()
    due = {
        name: loop.time() + (interval if jobs[name].get("immediate", True) is False else 0.0)
        for name, (_, interval) in resolved.items()
    }
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
