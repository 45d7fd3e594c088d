"""Streamable HTTP at /mcp on the running service, mounted in front of Django in argus_site/asgi.py.

The session manager needs a long-lived task group; it starts with the first /mcp request (so a
process that never serves MCP pays nothing) and stops when the server's lifespan shuts down.
Access control: the edge (monitoring/edge.py) has already decided every /mcp request under its
policy row (the same API keys and real-time limit as REST), counted it and will log it; nothing
here applies that guard again. settings.ARGUS_MCP_HTTP_GUARD may name an extra callable
`guard(headers, client_ip)` that raises an ApiError to refuse a request (off by default).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.module_loading import import_string
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings

from core.errors import error_body, status_of, translate
from core.renderers import dumps
from mcpserver.server import build_server

logger = logging.getLogger("argus.mcp")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


SCHEMES = ("http", "https")
PORTS = ("", ":*")


def _transport_security() -> TransportSecuritySettings:
    """DNS-rebinding protection from Django's ALLOWED_HOSTS (off when it allows every host)."""
    hosts = [host for host in settings.ALLOWED_HOSTS if host]
    if "*" in hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    names = [host.lstrip(".") for host in hosts]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*names, *(f"{name}:*" for name in names)],
        allowed_origins=[f"{scheme}://{name}{port}" for scheme in SCHEMES for name in names for port in PORTS],
    )


async def _refuse(send: Send, code: str, details: Any, headers: dict[str, str], status: int) -> None:
    raw_headers = [(b"content-type", b"application/json")]
    raw_headers += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": dumps(error_body(code, details))})


class MCPHttpApp:
    """The /mcp endpoint: guard, then the SDK's Streamable HTTP session manager."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reset()

    def _reset(self) -> None:
        self._manager: StreamableHTTPSessionManager | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._lock = asyncio.Lock()

    def _bind(self) -> None:
        # A manager lives on one event loop; a process that runs a new loop (tests) starts afresh.
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._reset()
            self._loop = loop

    async def _start(self) -> StreamableHTTPSessionManager:
        self._bind()
        async with self._lock:
            if self._manager is not None:
                return self._manager
            server = build_server()
            manager = StreamableHTTPSessionManager(
                app=server._lowlevel_server,
                security_settings=_transport_security(),
                stateless=settings.ARGUS_MCP_HTTP_STATELESS,
            )
            ready = asyncio.Event()

            async def hold() -> None:
                async with manager.run():
                    ready.set()
                    await self._stop.wait()

            self._task = asyncio.create_task(hold())
            await ready.wait()
            self._manager = manager
            mode = "stateless" if settings.ARGUS_MCP_HTTP_STATELESS else "with sessions"
            logger.info("MCP Streamable HTTP started at %s (%s)", settings.ARGUS_MCP_HTTP_PATH, mode)
            return manager

    async def stop(self) -> None:
        """End every MCP session (server shutdown)."""
        if self._task is not None:
            self._stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _guard(self, scope: Scope) -> tuple[str, Any, dict[str, str], int] | None:
        path = settings.ARGUS_MCP_HTTP_GUARD
        if not path:
            return None
        guard = import_string(path)
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        client_ip = (scope.get("client") or ("", 0))[0]
        try:
            # Its key lookup gives the database connection back afterwards, as a request does.
            await database_sync_to_async(guard)(headers, client_ip)
        except Exception as exc:  # the guard's refusal (or failure) answers in the spec's envelope
            code, details, extra = translate(exc)
            return code, details, extra, status_of(code, exc)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = await self._guard(scope)
        if refusal is not None:
            await _refuse(send, *refusal)
            return
        manager = self._manager if self._loop is asyncio.get_running_loop() else None
        manager = manager or await self._start()
        await manager.handle_request(scope, receive, send)


class MCPMount:
    """Routes the /mcp path prefix to MCP and everything else to `app`; stops MCP on lifespan shutdown."""

    def __init__(self, app: Any, *, path: str | None = None) -> None:
        self.app = app
        self.path = (path or settings.ARGUS_MCP_HTTP_PATH).rstrip("/")
        self.mcp = MCPHttpApp()

    def _ours(self, scope: Scope) -> bool:
        path = scope.get("path", "")
        return scope["type"] == "http" and (path == self.path or path.startswith(self.path + "/"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._ours(scope):
            await self.mcp(scope, receive, send)
            return
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def receive_then_stop() -> MutableMapping[str, Any]:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.mcp.stop()
            return message

        await self.app(scope, receive_then_stop, send)
