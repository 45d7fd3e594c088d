"""The spec's response envelope (通用响应格式): one place builds it."""

from __future__ import annotations

from typing import Any

from core import clock


def utc_timestamp() -> str:
    """Now, as the spec writes it: ISO 8601 in UTC with a Z."""
    return clock.iso_now()


def success(data: Any = None, *, message: str = "操作成功", **extra: Any) -> dict[str, Any]:
    """`{"success": true, "data": ..., "message": ..., "timestamp": ...}` plus endpoint extras."""
    body: dict[str, Any] = {"success": True}
    if data is not None:
        body["data"] = data
    body["message"] = message
    body.update(extra)
    body["timestamp"] = utc_timestamp()
    return body


def failure(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """`{"success": false, "error": {"code", "message", "details"}, "timestamp"}`."""
    return {
        "success": False,
        "error": {"code": code, "message": message, "details": details},
        "timestamp": utc_timestamp(),
    }
