"""Health and metrics endpoints."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from argus_site.api.renderers import dumps
from monitoring.services.health import health_report


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """GET /health: real probes of database, cache and data source."""
    body, status = health_report()
    return HttpResponse(dumps(body), status=status, content_type="application/json")
