"""The spec's error codes (错误代码) and the one handler that renders every error.

Views raise `ApiError` subclasses; other layers may raise any exception that carries
`error_code` and `http_status` attributes (the data sources do). DRF's own exceptions, Django's
404 and database errors are translated here, so every error a client sees has the envelope
`{"success": false, "error": {"code", "message", "details"}, "timestamp"}`.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response

from core.envelope import failure
from core.renderers import dumps

logger = logging.getLogger("argus.api")

# code -> (HTTP status, the spec's message)
ERROR_CODES: dict[str, tuple[int, str]] = {
    "INVALID_PARAMETER": (400, "参数无效"),
    "MISSING_PARAMETER": (400, "缺少必需参数"),
    "UNAUTHORIZED": (401, "未授权访问"),
    "FORBIDDEN": (403, "禁止访问"),
    "NOT_FOUND": (404, "资源不存在"),
    "METHOD_NOT_ALLOWED": (405, "方法不允许"),
    "RATE_LIMIT_EXCEEDED": (429, "请求频率超限"),
    "INTERNAL_ERROR": (500, "内部服务器错误"),
    "SERVICE_UNAVAILABLE": (503, "服务不可用"),
    "TIMEOUT": (504, "请求超时"),
    "CACHE_ERROR": (500, "缓存错误"),
    "DATABASE_ERROR": (500, "数据库错误"),
    "XTQUANT_ERROR": (500, "XtQuant 连接错误"),
}

# A database that cannot be reached right now (it refuses connections, has too many clients, or this
# process's connection pool stayed busy for ARGUS_DB_POOL_TIMEOUT) is an outage, not a bug: it
# answers the spec's DATABASE_ERROR with 503 and Retry-After, so clients and load balancers retry.
# Other database errors (a bad query, a constraint) keep the table's 500.
DATABASE_RETRY_AFTER = 2
_unavailable_logged = 0.0


class ApiError(Exception):
    """An error with one of the spec's codes and a `details` text that says what to fix."""

    code = "INTERNAL_ERROR"

    def __init__(self, details: Any = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(details)
        self.details = details
        self.headers = headers or {}

    @property
    def http_status(self) -> int:
        return ERROR_CODES[self.code][0]

    @property
    def error_code(self) -> str:
        return self.code


class InvalidParameter(ApiError):
    code = "INVALID_PARAMETER"


class MissingParameter(ApiError):
    code = "MISSING_PARAMETER"


class Unauthorized(ApiError):
    code = "UNAUTHORIZED"


class Forbidden(ApiError):
    code = "FORBIDDEN"


class NotFound(ApiError):
    code = "NOT_FOUND"


class MethodNotAllowed(ApiError):
    code = "METHOD_NOT_ALLOWED"


class RateLimitExceeded(ApiError):
    code = "RATE_LIMIT_EXCEEDED"


class ServiceUnavailable(ApiError):
    code = "SERVICE_UNAVAILABLE"


class Timeout(ApiError):
    code = "TIMEOUT"


class CacheError(ApiError):
    code = "CACHE_ERROR"


class DatabaseFailure(ApiError):
    code = "DATABASE_ERROR"


class DatabaseUnavailable(ApiError):
    """The database cannot be reached right now: DATABASE_ERROR with 503 and Retry-After (retry)."""

    code = "DATABASE_ERROR"

    def __init__(self, details: Any = None) -> None:
        super().__init__(details, headers={"Retry-After": str(DATABASE_RETRY_AFTER)})

    @property
    def http_status(self) -> int:
        return 503


class XtQuantError(ApiError):
    code = "XTQUANT_ERROR"


def error_body(code: str, details: Any = None) -> dict[str, Any]:
    """The envelope for `code`, with the spec's message."""
    return failure(code, ERROR_CODES[code][1], details)


def _drf_details(detail: Any) -> Any:
    """Flatten DRF's ErrorDetail trees into plain, readable text."""
    if isinstance(detail, dict):
        parts = []
        for field, value in detail.items():
            text = _drf_details(value)
            parts.append(text if field == "non_field_errors" else f"{field}: {text}")
        return "; ".join(parts)
    if isinstance(detail, list):
        return "; ".join(str(_drf_details(item)) for item in detail)
    return str(detail)


def translate(exc: BaseException) -> tuple[str, Any, dict[str, str]]:
    """Map any exception to (code, details, headers)."""
    if hasattr(exc, "error_code") and hasattr(exc, "http_status") and exc.error_code in ERROR_CODES:
        return exc.error_code, getattr(exc, "details", str(exc)), getattr(exc, "headers", {})
    if isinstance(exc, drf.Throttled):
        wait = int(getattr(exc, "wait", None) or 1)
        return "RATE_LIMIT_EXCEEDED", f"too many requests; retry in {wait} s", {"Retry-After": str(wait)}
    if isinstance(exc, drf.MethodNotAllowed):
        return "METHOD_NOT_ALLOWED", _drf_details(exc.detail), {}
    if isinstance(exc, Http404 | drf.NotFound):
        return "NOT_FOUND", str(exc) or "no such resource", {}
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return "UNAUTHORIZED", _drf_details(exc.detail), {}
    if isinstance(exc, drf.PermissionDenied | DjangoPermissionDenied):
        return "FORBIDDEN", str(getattr(exc, "detail", exc)), {}
    if isinstance(exc, drf.ParseError):
        return "INVALID_PARAMETER", f"request body is not valid JSON: {_drf_details(exc.detail)}", {}
    if isinstance(exc, drf.UnsupportedMediaType):
        said = _drf_details(exc.detail).rstrip(".")  # DRF's sentence ends with a full stop
        return "INVALID_PARAMETER", f"{said}; send Content-Type: application/json", {}
    if isinstance(exc, drf.ValidationError):
        return "INVALID_PARAMETER", _drf_details(exc.detail), {}
    if isinstance(exc, drf.APIException) and exc.status_code < 500:
        return "INVALID_PARAMETER", _drf_details(exc.detail), {}
    if database_unavailable(exc):
        _log_unavailable(exc)
        details = f"the database cannot be reached right now; retry in {DATABASE_RETRY_AFTER} s"
        return "DATABASE_ERROR", details, {"Retry-After": str(DATABASE_RETRY_AFTER)}
    if isinstance(exc, ValueError) and "NUL (0x00)" in str(exc):  # psycopg refusing a string with \x00
        return "INVALID_PARAMETER", "a parameter contains a NUL byte (\\x00); remove it", {}
    if isinstance(exc, DatabaseError):
        logger.exception("database error")
        return "DATABASE_ERROR", "the database did not answer; try again shortly", {}
    logger.exception("unhandled error", exc_info=exc)
    return "INTERNAL_ERROR", "an unexpected error occurred; it has been logged", {}


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached (a transient outage: 503 and Retry-After)."""
    return isinstance(exc, OperationalError | InterfaceError)


def _log_unavailable(exc: BaseException) -> None:
    """One warning per 10 s while the database is unreachable, not a traceback per request."""
    global _unavailable_logged
    now = time.monotonic()
    if now - _unavailable_logged >= 10.0:
        _unavailable_logged = now
        logger.warning("database unavailable; answering 503 DATABASE_ERROR: %s", exc)


def status_of(code: str, exc: BaseException | None = None) -> int:
    """The HTTP status for `code`: the table's, except 503 for a database that cannot be reached, and
    the status an error of ours or a source's carries itself (504 TIMEOUT, a node's 4xx)."""
    if code == "DATABASE_ERROR" and exc is not None and database_unavailable(exc):
        return 503
    carried = getattr(exc, "http_status", None)
    if isinstance(carried, int) and getattr(exc, "error_code", None) == code:
        return carried
    return ERROR_CODES[code][0]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every error through one door."""
    code, details, headers = translate(exc)
    return Response(error_body(code, details), status=status_of(code, exc), headers=headers)


def json_error(
    code: str, details: Any = None, headers: dict[str, str] | None = None, *, status: int | None = None
) -> HttpResponse:
    """A plain Django response carrying the envelope (for non-DRF views and handlers)."""
    response = HttpResponse(
        dumps(error_body(code, details)), status=status or ERROR_CODES[code][0], content_type="application/json"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the admin keeps Django's page; every other path answers the envelope."""
    if request.path.startswith("/admin/"):
        from django.views.csrf import csrf_failure as django_csrf_failure

        return django_csrf_failure(request, reason)
    return json_error("FORBIDDEN", f"CSRF check failed ({reason}); API clients send an API key, not a session cookie")


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return json_error("NOT_FOUND", f"no route for {request.method} {request.path}; see /api/docs/")


def handler500(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception (in a view outside DRF, or in a middleware).
    exc = sys.exc_info()[1]
    if exc is not None and database_unavailable(exc):
        code, details, headers = translate(exc)
        return json_error(code, details, headers, status=status_of(code, exc))
    return json_error("INTERNAL_ERROR", "an unexpected error occurred; it has been logged")


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return json_error("INVALID_PARAMETER", "the request could not be understood")


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return json_error("FORBIDDEN", str(exception) if exception else "forbidden")
