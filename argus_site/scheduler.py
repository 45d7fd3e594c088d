"""Periodic jobs inside the server process: the same tasks Celery beat runs (settings.ARGUS_PERIODIC_JOBS).

Without Redis the server always runs them (settings.ARGUS_EMBEDDED_JOBS). With Redis and
ARGUS_EMBEDDED_JOBS=auto it stands by (settings.ARGUS_EMBEDDED_JOBS_STANDBY): every Celery worker
marks `celery_alive_key()` when it starts a periodic task (argus_site/celery.py), and while that
mark is fresh the server leaves the jobs to Celery; when it is gone (no Celery, or beat stopped),
each job runs here, in one web process per tick (a Redis lock), and the change is logged once
each way. Each job runs in a worker thread so the event loop keeps serving (the Redis calls
too), and a job never overlaps itself.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from core import clock
from core.redis import shared_redis
from monitoring.services.jobs import job_record

logger = logging.getLogger("argus.scheduler")

# A Celery worker counts as running the jobs for this long after it started a periodic task.
CELERY_ALIVE_MIN_SECONDS = 10.0


def celery_alive_key() -> str:
    return f"{settings.ARGUS_NAMESPACE}:v1:jobs:celery_alive"


def celery_alive_seconds() -> float:
    intervals = [float(job["interval"]) for job in settings.ARGUS_PERIODIC_JOBS.values()]
    return max(CELERY_ALIVE_MIN_SECONDS, 3 * min(intervals, default=CELERY_ALIVE_MIN_SECONDS))


def mark_celery_alive() -> None:
    """Called by Celery workers as they start a periodic task (argus_site/celery.py)."""
    client = shared_redis()
    if client is not None:
        client.set(celery_alive_key(), os.getpid(), px=int(celery_alive_seconds() * 1000))


class Standby:
    """Whether this process should run a job's tick now, with Redis: no Celery lately, and the tick's lock."""

    def __init__(self) -> None:
        self.deferring: bool | None = None  # None until the first look

    def my_turn(self, name: str, interval: float) -> bool:
        client = shared_redis()
        if client is None:
            return True
        try:
            celery = bool(client.exists(celery_alive_key()))
            self._note(celery)
            if celery:
                return False
            lock = f"{settings.ARGUS_NAMESPACE}:v1:jobs:tick:{name}"
            return bool(client.set(lock, os.getpid(), nx=True, px=max(100, int(interval * 900))))
        except Exception as exc:  # Redis down: the jobs themselves cope with it; run them here
            logger.debug("periodic job %s: Redis not answering (%s); running it here", name, exc)
            return True

    def _note(self, celery: bool) -> None:
        if celery == self.deferring:
            return
        if celery:
            logger.info("a Celery worker runs the periodic jobs: this server leaves them to it")
        else:
            logger.warning(
                "no Celery worker has run a periodic job in the last %.0f s: this server runs them itself (%s)",
                celery_alive_seconds(),
                ", ".join(settings.ARGUS_PERIODIC_JOBS),
            )
        self.deferring = celery


def _resolve(jobs: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[Callable[[], Any], float]]:
    resolved: dict[str, tuple[Callable[[], Any], float]] = {}
    for name, job in jobs.items():
        try:
            resolved[name] = (import_string(job["task"]), float(job["interval"]))
        except ImportError:
            logger.warning("periodic job %s: task %s is not available; skipped", name, job["task"])
    return resolved


async def _run_once(name: str, func: Callable[[], Any], interval: float, standby: Standby | None) -> None:
    ran = False

    def turn() -> None:
        nonlocal ran
        if standby is None or standby.my_turn(name, interval):
            ran = True
            func()

    started = clock.timestamp()
    ok, detail = True, ""
    try:
        await asyncio.to_thread(turn)
    except Exception as exc:
        ok, detail = False, f"{type(exc).__name__}: {exc}"
        logger.exception("periodic job %s failed", name)
    if not ran:
        return  # standing by: Celery (or another web process) ran this tick, and records it
    try:  # the console's record of the run (on a thread: L2 may be Redis)
        await asyncio.to_thread(job_record, name, started=started, finished=clock.timestamp(), ok=ok, detail=detail)
    except Exception:
        logger.exception("could not record the run of periodic job %s", name)


async def run_periodic_jobs(jobs: Mapping[str, Mapping[str, Any]], *, standby: bool = False) -> None:
    """Run each job every `interval` seconds until cancelled; the first run is immediate, except for
    a job marked `"immediate": False` (a daily one: its first run is an interval after start).

    `standby`: only while no Celery worker runs them, one process per tick (see the module doc).
    """
    resolved = _resolve(jobs)
    watch = Standby() if standby else None
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
                    running[name] = asyncio.create_task(_run_once(name, func, interval, watch))
                    due[name] = now + interval
            wake = min(due.values(), default=now + 60.0)
            await asyncio.sleep(max(0.05, wake - loop.time()))
    finally:
        for task in running.values():
            task.cancel()
