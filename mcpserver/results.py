"""How every tool answers: the REST payload contract plus provenance, or a tool error with the spec's code.

A tool body is a plain synchronous function (Django's ORM and the cache are synchronous); `run`
calls it on asgiref's one thread-sensitive worker, like Django's own views under ASGI, and turns
any exception into an `isError` result through the one error translator REST uses.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections
from mcp.types import CallToolResult, ContentBlock, TextContent

from core.errors import ERROR_CODES, translate

logger = logging.getLogger("argus.mcp")


def _text(payload: Any) -> list[ContentBlock]:
    # Agents read the text block; ensure_ascii=False keeps 平安银行 readable and short.
    return [TextContent(type="text", text=json.dumps(payload, ensure_ascii=False, default=str))]


def tool_result(payload: dict[str, Any]) -> CallToolResult:
    """A successful result: the same JSON as structured content and as text."""
    return CallToolResult(content=_text(payload), structured_content=payload)


def tool_error(code: str, details: Any) -> CallToolResult:
    """An MCP tool error carrying the spec's error code, message and what to fix."""
    payload = {"error": {"code": code, "message": ERROR_CODES[code][1], "details": details}}
    return CallToolResult(content=_text(payload), structured_content=payload, is_error=True)


def _call(body: Callable[[], dict[str, Any]]) -> CallToolResult:
    # The thread outlives requests, so it does what Django does around each request.
    close_old_connections()
    try:
        return tool_result(body())
    except Exception as exc:  # every error reaches the agent as a tool error, never a crash
        code, details, _headers = translate(exc)
        return tool_error(code, details)
    finally:
        close_old_connections()


async def run(body: Callable[[], dict[str, Any]]) -> CallToolResult:
    """Run a synchronous tool body off the event loop and shape its answer."""
    return await sync_to_async(_call, thread_sensitive=True)(body)
