"""Errors the client SDK raises: one class per family of the spec's error codes (错误代码).

`CacheError` is deliberately not a `DataServiceError`: the user guide's retry recipe catches
`DataServiceError` first and `CacheError` second (to retry with `use_cache=False`), which only
works when the two are siblings. Catch `ArgusError` for everything.
"""

from __future__ import annotations

from typing import Any


class ArgusError(Exception):
    """An error answer from Argus: the spec's `code`, `message` and `details`, plus the HTTP status."""

    def __init__(self, code: str, message: str, details: Any = None, *, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}" + (f" ({details})" if details else ""))
        self.code = code
        self.message = message
        self.details = details
        self.status = status


class DataServiceError(ArgusError):
    """The service could not answer (bad parameters, not found, unavailable, timeouts, ...)."""


class InvalidParameterError(DataServiceError):
    """INVALID_PARAMETER or MISSING_PARAMETER: `details` says what to fix."""


class NotFoundError(DataServiceError):
    """NOT_FOUND."""


class AuthenticationError(DataServiceError):
    """UNAUTHORIZED or FORBIDDEN."""


class RateLimitError(DataServiceError):
    """RATE_LIMIT_EXCEEDED; `retry_after` is the server's Retry-After in seconds when it sent one."""

    def __init__(self, code: str, message: str, details: Any = None, *, status: int | None = None) -> None:
        super().__init__(code, message, details, status=status)
        self.retry_after: float | None = None


class ServiceUnavailableError(DataServiceError):
    """SERVICE_UNAVAILABLE, TIMEOUT, XTQUANT_ERROR, DATABASE_ERROR, INTERNAL_ERROR, or no answer at all."""


class CacheError(ArgusError):
    """CACHE_ERROR: retrying with `use_cache=False` reads from the source."""


# One class per code of the spec's table (错误代码), under the family classes above, so code can
# catch as narrowly or as broadly as it needs.
class MissingParameterError(InvalidParameterError):
    """MISSING_PARAMETER: `details` names every absent parameter."""


class MethodNotAllowedError(InvalidParameterError):
    """METHOD_NOT_ALLOWED."""


class UnauthorizedError(AuthenticationError):
    """UNAUTHORIZED: no key, or an unknown, expired or revoked one."""


class ForbiddenError(AuthenticationError):
    """FORBIDDEN: the key lacks the scope."""


class InternalServerError(ServiceUnavailableError):
    """INTERNAL_ERROR."""


class RequestTimeoutError(ServiceUnavailableError):
    """TIMEOUT (the server's 504, or no answer within the client's timeout)."""


class DatabaseError(ServiceUnavailableError):
    """DATABASE_ERROR."""


class XtQuantError(ServiceUnavailableError):
    """XTQUANT_ERROR: the xtquant source (MiniQMT) did not answer."""


ERROR_CLASSES: dict[str, type[ArgusError]] = {
    "INVALID_PARAMETER": InvalidParameterError,
    "MISSING_PARAMETER": MissingParameterError,
    "UNAUTHORIZED": UnauthorizedError,
    "FORBIDDEN": ForbiddenError,
    "NOT_FOUND": NotFoundError,
    "METHOD_NOT_ALLOWED": MethodNotAllowedError,
    "RATE_LIMIT_EXCEEDED": RateLimitError,
    "INTERNAL_ERROR": InternalServerError,
    "SERVICE_UNAVAILABLE": ServiceUnavailableError,
    "TIMEOUT": RequestTimeoutError,
    "CACHE_ERROR": CacheError,
    "DATABASE_ERROR": DatabaseError,
    "XTQUANT_ERROR": XtQuantError,
}
_BY_CODE = ERROR_CLASSES


def error_for(code: str, message: str, details: Any = None, *, status: int | None = None) -> ArgusError:
    """The exception class that matches one of the spec's error codes (an unknown code: ServiceUnavailableError)."""
    cls = _BY_CODE.get(code, ServiceUnavailableError)
    return cls(code, message, details, status=status)
