"""A WebSocket handshake on a path nobody serves is refused with HTTP 404 and the envelope, never a 500."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.errors import error_body
from core.renderers import dumps

CLOSE_NOT_FOUND = 4404  # where the server cannot answer the handshake with an HTTP status


class KnownPaths:
    """Pass WebSocket scopes for `paths` to `app`; answer every other one 404 NOT_FOUND."""

    def __init__(self, app: Any, paths: Iterable[str]) -> None:
        self.app = app
        self.paths = frozenset(paths)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket" or scope["path"] in self.paths:
            await self.app(scope, receive, send)
            return
        await receive()  # websocket.connect
        known = ", ".join(sorted(self.paths))
        body = dumps(error_body("NOT_FOUND", f"no WebSocket at {scope['path']}; connect to {known}"))
        if "websocket.http.response" in scope.get("extensions", {}):
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "websocket.http.response.start", "status": 404, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": CLOSE_NOT_FOUND})
