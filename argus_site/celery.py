"""The Celery app. Beat's schedule is settings.CELERY_BEAT_SCHEDULE (from ARGUS_PERIODIC_JOBS).

Run exactly one beat per deployment: two beats run every periodic task twice (celery#2856).
"""

import os

from celery import Celery

from argus_site.bootstrap import bootstrap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "argus_site.settings.base")
bootstrap()

app = Celery("argus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
