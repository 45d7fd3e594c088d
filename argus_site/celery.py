"""The Celery app. Beat's schedule is settings.CELERY_BEAT_SCHEDULE (from ARGUS_PERIODIC_JOBS).

Run exactly one beat per deployment: two beats run every periodic task twice (celery#2856).
"""

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

from argus_site.bootstrap import bootstrap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "argus_site.settings.base")
bootstrap()

logger = logging.getLogger("argus.scheduler")
app = Celery("argus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# The console's record of each periodic job's runs (monitoring.services.jobs), as the embedded
# scheduler keeps it: start on prerun, result on postrun (state SUCCESS or not).
_started: dict[str, float] = {}


def _job_name(task: Any) -> str | None:
    from django.conf import settings

    return next((name for name, job in settings.ARGUS_PERIODIC_JOBS.items() if job["task"] == task.name), None)


@task_prerun.connect
def _job_started(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    if task is not None and task_id and _job_name(task):
        from core import clock

        _started[task_id] = clock.timestamp()


@task_postrun.connect
def _job_finished(
    task_id: str | None = None, task: Any = None, retval: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    name = _job_name(task) if task is not None else None
    if not name or not task_id:
        return
    from core import clock
    from monitoring.services.jobs import job_record

    started = _started.pop(task_id, None) or clock.timestamp()
    ok = state == "SUCCESS"
    job_record(name, started=started, finished=clock.timestamp(), ok=ok, detail="" if ok else repr(retval)[:300])


@task_prerun.connect
def _periodic_task_started(sender: Any = None, **kwargs: Any) -> None:
    """Tell web servers on standby that Celery runs the periodic jobs (argus_site/scheduler.py)."""
    from django.conf import settings

    from argus_site.scheduler import mark_celery_alive

    if getattr(sender, "name", None) in {job["task"] for job in settings.ARGUS_PERIODIC_JOBS.values()}:
        try:
            mark_celery_alive()
        except Exception:  # Redis down: the task itself will report it
            logger.debug("could not mark Celery alive", exc_info=True)
