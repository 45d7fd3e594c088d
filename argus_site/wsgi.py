"""WSGI entry point (for running the HTTP API under gunicorn's sync workers if preferred)."""

import os

from django.core.wsgi import get_wsgi_application

from argus_site.bootstrap import bootstrap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "argus_site.settings.base")
bootstrap()

application = get_wsgi_application()
