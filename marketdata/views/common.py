"""What every market-data view shares: query parsing into the spec's errors, and byte responses."""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.request import Request

from cachemgr.services import degraded_note
from core.envelope import success
from core.errors import InvalidParameter, MissingParameter, _drf_details
from core.renderers import dumps
from core.schemas import ErrorResponse

JSON = "application/json"
ERROR_RESPONSES = {
    400: OpenApiResponse(ErrorResponse, description="MISSING_PARAMETER or INVALID_PARAMETER; details says what to fix"),
    # 401, 403 and 429 come from the edge (monitoring.policy), before the view runs.
    401: OpenApiResponse(
        ErrorResponse, description="UNAUTHORIZED: a missing, unknown or revoked API key (where a key is required)"
    ),
    403: OpenApiResponse(ErrorResponse, description="FORBIDDEN: the key lacks market_data:read"),
    404: OpenApiResponse(ErrorResponse, description="NOT_FOUND: an unknown symbol"),
    405: OpenApiResponse(ErrorResponse, description="METHOD_NOT_ALLOWED"),
    429: OpenApiResponse(
        ErrorResponse, description="RATE_LIMIT_EXCEEDED (real-time class; history for /history and /recorded_ticks)"
    ),
    500: OpenApiResponse(ErrorResponse, description="INTERNAL_ERROR, XTQUANT_ERROR, CACHE_ERROR or DATABASE_ERROR"),
    503: OpenApiResponse(
        ErrorResponse, description="SERVICE_UNAVAILABLE: the data source is down; details says what was tried"
    ),
}


def parse_query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """Validated query parameters; MISSING_PARAMETER names absent required ones, INVALID_PARAMETER the rest."""
    query = _single_values(request)
    serializer = serializer_class(data=query)
    missing = [
        name for name, field in serializer.fields.items() if field.required and not str(query.get(name, "")).strip()
    ]
    if missing:
        example = "&".join(f"{name}={_EXAMPLES.get(name, '...')}" for name in missing)
        verb = "is" if len(missing) == 1 else "are"
        raise MissingParameter(f"{', '.join(missing)} {verb} required; e.g. {example}")
    if not serializer.is_valid():
        raise InvalidParameter(_drf_details(serializer.errors))
    return dict(serializer.validated_data)


# Parameters that are comma lists: `symbols=A&symbols=B` means `symbols=A,B`.
LIST_PARAMETERS = ("symbols", "fields")


def _single_values(request: Request) -> dict[str, Any]:
    """One value per parameter: repeated list parameters are merged, any other repeat is refused."""
    query: dict[str, Any] = {}
    params = request.query_params
    getlist = getattr(params, "getlist", None)  # a plain dict from the MCP tools has one value each
    for name in params:
        values = getlist(name) if getlist is not None else [params[name]]
        if len(values) > 1 and name not in LIST_PARAMETERS:
            raise InvalidParameter(f"{name} is given {len(values)} times ({', '.join(values)}); give it once")
        query[name] = ",".join(values) if len(values) > 1 else values[0]
    return query


_EXAMPLES = {
    "symbols": "000001.SZ,600000.SH",
    "start_date": "2024-01-01",
    "end_date": "2024-01-31",
    "date": "2024-01-31",
}


class Stopwatch:
    """Measures the time spent serving a request, for `response_time_ms`."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 3)


def degraded_extra() -> dict[str, str]:
    """`{"degraded": why}` while a shared cache level is down (the answer is still true), else nothing."""
    note = degraded_note()
    return {"degraded": note} if note else {}


def json_response(data: Any, **extra: Any) -> HttpResponse:
    """The spec's success envelope, serialised once with orjson."""
    return HttpResponse(dumps(success(data, **extra, **degraded_extra())), content_type="application/json")
