"""HTTP middleware: CORS, request-size limit, the per-request guard (key, scope, rate limit),
rate-limit headers, request metrics and the access log line."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.errors import ApiError, json_error
from monitoring.edge import OBSERVED, edge_decision
from monitoring.logfilters import redact_query
from monitoring.services.apikeys import raw_key_from_headers
from monitoring.services.guard import request_guard
from monitoring.services.metrics import endpoint_of, request_record

access_log = logging.getLogger("argus.access")

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After")


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the edge decided it (monitoring.edge.client_address).

    The edge rewrites the ASGI client, so REMOTE_ADDR is that address; reading X-Forwarded-For again
    here would let any peer choose its address by writing it.
    """
    decision = edge_decision(getattr(request, "scope", None))
    return decision.client if decision is not None else request.META.get("REMOTE_ADDR")


def request_decide(request: HttpRequest) -> None:
    """Set `request.argus_api_key` / `request.argus_rate` once: from the edge's decision, or, for a
    request that reached Django without the edge (WSGI, Django's test client), from the same rules
    applied here. Raises the spec's ApiError to refuse."""
    if hasattr(request, "argus_rate"):
        return
    decided = edge_decision(getattr(request, "scope", None))
    if decided is not None:
        request.argus_api_key, request.argus_rate = decided.api_key, decided.rate  # type: ignore[attr-defined]
        return
    raw_key = raw_key_from_headers(
        request.headers.get("Authorization"), request.headers.get("X-API-Key"), request.META.get("QUERY_STRING", "")
    )
    result = request_guard(
        path=request.path_info, method=request.method or "GET", raw_key=raw_key, ip=client_ip(request)
    )
    request.argus_api_key, request.argus_rate = result.api_key, result.rate  # type: ignore[attr-defined]


class CorsMiddleware:
    """CORS for browser clients from ARGUS_CORS_ALLOWED_ORIGINS; answers preflights itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        origin = request.headers.get("Origin")
        allowed = origin is not None and (
            origin in settings.ARGUS_CORS_ALLOWED_ORIGINS or "*" in settings.ARGUS_CORS_ALLOWED_ORIGINS
        )
        if allowed and request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Authorization, X-API-Key, Content-Type"
            response["Access-Control-Max-Age"] = "600"
        else:
            response = self.get_response(request)
        if allowed and origin is not None:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = ", ".join(RATE_HEADERS)
            response["Vary"] = "Origin"
        return response


class RequestMonitorMiddleware:
    """Guards every routed request by the policy table, then times, counts and logs it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            response = json_error("INVALID_PARAMETER", f"request body is {length} bytes; the limit is {limit}")
        else:
            response = self.get_response(request)
        rate = getattr(request, "argus_rate", None)
        if rate is not None:
            for name, value in rate.headers().items():
                response.setdefault(name, value)
        self._observe(request, response, (time.perf_counter() - started) * 1000)
        return response

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        """Runs after routing: reads the edge's decision (or, without the edge, decides here)."""
        try:
            request_decide(request)
        except ApiError as exc:
            return json_error(exc.code, exc.details, exc.headers, status=exc.http_status)
        return None

    def _observe(self, request: HttpRequest, response: HttpResponse, ms: float) -> None:
        scope = getattr(request, "scope", None)
        if scope is not None and OBSERVED in scope:
            scope[OBSERVED] = True  # tell the edge this request is counted and logged here
        path = request.path_info
        if not path.startswith(settings.ARGUS_METRICS_EXCLUDE):
            match = getattr(request, "resolver_match", None)
            request_record(
                endpoint=endpoint_of(match.route if match else None), status=response.status_code, duration_ms=ms
            )
        key = getattr(request, "argus_api_key", None)
        query = redact_query(request.META.get("QUERY_STRING", ""))
        access_log.info(
            "%s %s%s %s %.1fms client=%s key=%s",
            request.method,
            path,
            f"?{query}" if query else "",
            response.status_code,
            ms,
            client_ip(request),
            key.prefix if key is not None else "-",
        )


class AdminLoginLockoutMiddleware:
    """Refuses admin login attempts from an address that failed too often (monitoring/services/logins.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path == "/admin/login/":
            from monitoring.services.logins import login_lockout

            lockout = login_lockout(client_ip(request))
            if lockout is not None:
                wait = lockout.reset_seconds
                response = HttpResponse(
                    f"Too many failed logins from this address: try again in {wait} s.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(wait)
                return response
        return self.get_response(request)
