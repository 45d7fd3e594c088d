"""Health and metrics endpoints (not rate limited; scrapes of /health and /metrics are not counted)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from core.envelope import success
from core.errors import DATABASE_RETRY_AFTER, json_error
from core.renderers import dumps
from monitoring.selectors import prometheus_text, service_metrics, system_metrics
from monitoring.services.health import health_report

View = Callable[[HttpRequest], HttpResponse]


def require_GET(view: View) -> View:
    """Only GET (and HEAD); anything else answers METHOD_NOT_ALLOWED in the spec's envelope.

    CSRF-exempt: these views change nothing and take no cookie-authenticated writes, so a POST gets
    the 405 that says what to do, not Django's HTML CSRF page.
    """

    def wrapped(request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return json_error("METHOD_NOT_ALLOWED", f"{request.method} is not allowed here; use GET", {"Allow": "GET"})
        return view(request)

    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


def _json(body: object, status: int = 200) -> HttpResponse:
    return HttpResponse(dumps(body), status=status, content_type="application/json")


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """GET /health: real probes of database, cache, data source and feed."""
    body, status = health_report()
    response = _json(body, status)
    if status == 503:  # the database does not answer: probes and clients may retry shortly
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response


@require_GET
def metrics_system(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/metrics/system: host and process figures (psutil)."""
    return _json(success(system_metrics()))


@require_GET
def metrics_service(request: HttpRequest) -> HttpResponse:
    """GET /api/v1/metrics/service: request figures summed over every server process."""
    return _json(success(service_metrics()))


@require_GET
def prometheus(request: HttpRequest) -> HttpResponse:
    """GET /metrics: the Prometheus text exposition format."""
    return HttpResponse(prometheus_text(), content_type="text/plain; version=0.0.4; charset=utf-8")
