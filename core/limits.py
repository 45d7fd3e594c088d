"""Bounds on what one HTTP request can make the server hold, checked before any app reads the body.

Django's ASGI handler reads a whole request body (spooling past 2.5 MB to a temporary file) before
the view runs, and `DATA_UPLOAD_MAX_MEMORY_SIZE` is only checked against Content-Length when the
body is accessed: a 2 GB chunked POST was read and spooled in full. `BodyLimit`, outermost, refuses
a declared Content-Length over the limit at once, and stops reading a body (chunked or not) the
moment it passes the limit: 413 with the spec's envelope (INVALID_PARAMETER), the connection closed.
Bodies within the limit are handed on unchanged, as one message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from core.errors import error_body
from core.renderers import dumps

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

STATUS_TOO_LARGE = 413


class BodyLimit:
    """Refuse HTTP request bodies over `limit()` bytes (read lazily so tests may change the setting)."""

    def __init__(self, app: Any, limit: Callable[[], int]) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit()
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit, f"Content-Length is {declared} bytes")
            return
        if declared == 0 or (declared is None and not _chunked(scope)):
            await self.app(scope, receive, send)  # no body to bound
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to serve
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit, f"the body passed {limit} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later calls wait for http.disconnect, as before

    return replayed


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


def _content_length(scope: Scope) -> int | None:
    raw = _header(scope, b"content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None  # the server (h11/httptools) refuses a malformed one before we see it


def _chunked(scope: Scope) -> bool:
    return b"chunked" in (_header(scope, b"transfer-encoding") or b"").lower()


async def _too_large(send: Send, limit: int, what: str) -> None:
    body = dumps(error_body("INVALID_PARAMETER", f"request body too large: {what}; send at most {limit} bytes"))
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": STATUS_TOO_LARGE, "headers": headers})
    await send({"type": "http.response.body", "body": body})
