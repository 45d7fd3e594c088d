"""ASGI lifespan: start the embedded default's periodic jobs with the server, stop them with it.

A worker process of `serve --workers N` also ends when its uvicorn master dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
from typing import Any

from django.conf import settings

from argus_site.scheduler import run_periodic_jobs

logger = logging.getLogger("argus.lifespan")

Scope = dict[str, Any]


class Lifespan:
    """Wraps the ASGI app; answers `lifespan` scopes and passes everything else through."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._jobs: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                exit_with_master()
                if settings.ARGUS_EMBEDDED_JOBS:
                    standby = settings.ARGUS_EMBEDDED_JOBS_STANDBY
                    jobs = run_periodic_jobs(settings.ARGUS_PERIODIC_JOBS, standby=standby)
                    self._jobs = asyncio.create_task(jobs)
                    logger.info(
                        "periodic jobs %s: %s",
                        "on standby (run here while no Celery worker runs them)" if standby else "run in this server",
                        ", ".join(settings.ARGUS_PERIODIC_JOBS),
                    )
                await _warm_up()
                # Everything loaded so far (Django, apps, pandas, calendars) lives as long as the
                # process: keep it out of the collector's full passes, which otherwise walk it all
                # and stall the event loop (and every connection's pushes) for tens of ms.
                gc.collect()
                gc.freeze()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._jobs is not None:
                    self._jobs.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._jobs
                # The embedded feed's recorder: what it accepted goes to disk now (off the event
                # loop); a poll still finishing meanwhile is flushed by the recorder's atexit hook.
                from streaming.recorder import recorder_close

                await asyncio.to_thread(recorder_close)
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _warm_up() -> None:
    """Load what the first WebSocket subscribes would otherwise all wait for (the instrument names)."""
    from channels.db import database_sync_to_async

    from streaming.directory import instrument_names

    try:
        # database_sync_to_async gives the connection back to the pool afterwards: one kept by the
        # process's shared sync thread would be one connection fewer for every request.
        await database_sync_to_async(instrument_names)()
    except Exception:  # the database may still be starting; the first subscribe loads them then
        logger.warning("could not preload instrument names at startup", exc_info=True)


def exit_with_master(interval: float = 1.0, grace: float = 10.0) -> None:
    """In a uvicorn worker process, stop (SIGTERM to itself) once its master has died.

    A master killed with SIGKILL cannot stop its workers: they would go on serving and holding the
    listening port, so the master a supervisor starts in its place could not bind it. After `grace`
    seconds of graceful shutdown the worker exits regardless.
    """
    parent = multiprocessing.parent_process()
    if parent is None:  # one process (no uvicorn master), or not under uvicorn
        return
    master = parent.pid

    def watch() -> None:
        while os.getppid() == master:
            time.sleep(interval)
        logger.warning("uvicorn master %s is gone: worker %s stops", master, os.getpid())
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace)
        os._exit(1)

    threading.Thread(target=watch, name="argus-master-watch", daemon=True).start()
