"""The one exception handler: every code in the spec's error table, with its HTTP status and message."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import InterfaceError, OperationalError, ProgrammingError
from rest_framework import exceptions as drf

from core import errors
from core.errors import ERROR_CODES, exception_handler


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (errors.InvalidParameter("bad"), "INVALID_PARAMETER"),
        (errors.MissingParameter("symbols is required"), "MISSING_PARAMETER"),
        (drf.NotAuthenticated(), "UNAUTHORIZED"),
        (drf.PermissionDenied(), "FORBIDDEN"),
        (drf.NotFound(), "NOT_FOUND"),
        (drf.MethodNotAllowed("POST"), "METHOD_NOT_ALLOWED"),
        (drf.Throttled(wait=7), "RATE_LIMIT_EXCEEDED"),
        (RuntimeError("boom"), "INTERNAL_ERROR"),
        (errors.ServiceUnavailable("source down"), "SERVICE_UNAVAILABLE"),
        (errors.Timeout("upstream took 30 s"), "TIMEOUT"),
        (errors.CacheError("redis refused"), "CACHE_ERROR"),
        (ProgrammingError('relation "marketdata_tradingday" does not exist'), "DATABASE_ERROR"),
        (errors.XtQuantError("MiniQMT is not running"), "XTQUANT_ERROR"),
    ],
)
def test_every_spec_code_maps_to_its_status_and_message(exc: Exception, code: str) -> None:
    response = exception_handler(exc, {})
    status, message = ERROR_CODES[code]
    assert response.status_code == status
    body = response.data
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert body["error"]["message"] == message
    assert body["timestamp"].endswith("Z")
    assert "Traceback" not in str(body)


def test_the_table_has_exactly_the_spec_codes() -> None:
    assert ERROR_CODES == {
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


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("connection to server at 127.0.0.1 failed: FATAL: sorry, too many clients already"),
        OperationalError("couldn't get a connection after 5.00 sec"),  # psycopg_pool.PoolTimeout, as Django wraps it
        InterfaceError("connection already closed"),
    ],
)
def test_an_unreachable_database_answers_503_database_error_with_retry_after(exc: Exception) -> None:
    response = exception_handler(exc, {})
    assert response.status_code == 503
    assert response["Retry-After"] == str(errors.DATABASE_RETRY_AFTER)
    assert response.data["error"]["code"] == "DATABASE_ERROR"
    assert response.data["error"]["message"] == "数据库错误"
    assert "retry" in response.data["error"]["details"]
    assert "too many clients" not in str(response.data)


def test_outside_drf_an_unreachable_database_is_a_json_503_too(rf: Any) -> None:
    """Django's handler500 (a plain view or a middleware failing) sees the exception being handled."""
    import orjson

    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = errors.handler500(rf.get("/admin/"))
    assert (response.status_code, response["Retry-After"], response["Content-Type"]) == (503, "2", "application/json")
    assert orjson.loads(response.content)["error"]["code"] == "DATABASE_ERROR"
    try:
        raise KeyError("boom")
    except KeyError:
        other = errors.handler500(rf.get("/admin/"))
    assert other.status_code == 500 and orjson.loads(other.content)["error"]["code"] == "INTERNAL_ERROR"


def test_rate_limit_tells_when_to_retry() -> None:
    response = exception_handler(drf.Throttled(wait=7), {})
    assert response["Retry-After"] == "7"
    assert "7 s" in response.data["error"]["details"]


def test_internal_error_hides_the_exception_text() -> None:
    response = exception_handler(KeyError("secret internal state"), {})
    assert "secret" not in str(response.data)
