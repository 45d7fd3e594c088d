"""The Celery app. Beat's schedule is settings.CELERY_BEAT_SCHEDULE (from ARGUS_PERIODIC_JOBS).

Run exactly one beat per deployment: two beats run every periodic task twice (celery#2856).
"""

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import task_prerun

from argus_site.bootstrap import bootstrap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "argus_site.settings.base")
bootstrap()

logger = logging.getLogger("argus.scheduler")
app = Celery("argus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
