"""Quote resources (`quote://000001.SZ`) and who is subscribed to them.

Two generations of MCP clients subscribe differently: 2026-07-28 clients open a
`subscriptions/listen` stream (served by the SDK from a `SubscriptionBus`), older ones send
`resources/subscribe` and expect `notifications/resources/updated` on their session. Both end
here. The ingest path calls `notify_quote_updated(symbol)` (or `notify_quotes_updated`) from any
thread; it costs one set lookup per symbol when nobody subscribes, and otherwise schedules the
notifications on the event loop of each MCP server in this process.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from mcp.server.subscriptions import InMemorySubscriptionBus, ResourceUpdated, ServerEvent
from mcp.types import EmptyResult, SubscribeRequestParams, UnsubscribeRequestParams

logger = logging.getLogger("argus.mcp")

QUOTE_SCHEME = "quote://"

_lock = threading.Lock()
_hubs: weakref.WeakSet[QuoteSubscriptions] = weakref.WeakSet()


def quote_uri(symbol: str) -> str:
    return f"{QUOTE_SCHEME}{symbol}"


class QuoteSubscriptions(InMemorySubscriptionBus):
    """One server's subscribers: the SDK's listen bus plus legacy per-session subscriptions."""

    def __init__(self) -> None:
        super().__init__()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._hub_start: asyncio.Task[None] | None = None
        self._listen_streams = 0
        # uri -> {connection: session} of resources/subscribe clients, forgotten when the connection closes
        self._legacy: dict[str, dict[Any, Any]] = {}
        with _lock:
            _hubs.add(self)

    def _bind_loop(self) -> None:
        """Remember the server's loop and follow the live feed there (once per loop)."""
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self.loop = loop
            from streaming import get_hub

            hub = get_hub()
            hub.add_quote_listener(notify_quotes_updated)
            self._hub_start = loop.create_task(hub.start())

    @property
    def active(self) -> bool:
        return self._listen_streams > 0 or any(self._legacy.values())

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        """The SDK's listen handler registers here (on the server's loop)."""
        self._bind_loop()
        self._listen_streams += 1
        unsubscribe = super().subscribe(listener)
        done = False

        def release() -> None:
            nonlocal done
            if not done:
                done = True
                self._listen_streams -= 1
            unsubscribe()

        return release

    async def on_subscribe(self, ctx: Any, params: SubscribeRequestParams) -> EmptyResult:
        """`resources/subscribe` from a pre-2026 client."""
        self._bind_loop()
        uri = str(params.uri)
        # Handlers get a per-request session; its connection is what lives as long as the client.
        connection = ctx.session._connection
        subscribers = self._legacy.setdefault(uri, {})
        if connection not in subscribers:
            connection.exit_stack.callback(self._forget, uri, connection)
        subscribers[connection] = ctx.session
        return EmptyResult()

    def _forget(self, uri: str, connection: Any) -> None:
        self._legacy.get(uri, {}).pop(connection, None)

    async def on_unsubscribe(self, ctx: Any, params: UnsubscribeRequestParams) -> EmptyResult:
        """`resources/unsubscribe` from a pre-2026 client."""
        self._forget(str(params.uri), ctx.session._connection)
        return EmptyResult()

    async def publish_uris(self, uris: Iterable[str]) -> None:
        """Tell every subscriber of each of `uris` that it changed."""
        for uri in uris:
            if self._listen_streams:
                await self.publish(ResourceUpdated(uri=uri))
            for connection, session in list(self._legacy.get(uri, {}).items()):
                try:
                    await session.send_resource_updated(uri)
                except Exception:  # a session that went away must not stop the others
                    logger.info("dropping a closed MCP session from %s", uri)
                    self._forget(uri, connection)


def notify_quotes_updated(symbols: Iterable[str]) -> int:
    """Send resource-updated notifications for these symbols' quotes; safe from any thread.

    Returns how many servers were notified (0 when nobody subscribes).
    """
    with _lock:
        hubs = [hub for hub in _hubs if hub.active and hub.loop is not None and not hub.loop.is_closed()]
    if not hubs:
        return 0
    uris = [quote_uri(symbol) for symbol in symbols]
    for hub in hubs:
        assert hub.loop is not None
        asyncio.run_coroutine_threadsafe(hub.publish_uris(uris), hub.loop)
    return len(hubs)


def notify_quote_updated(symbol: str) -> int:
    """Send a resource-updated notification for `quote://<symbol>`; safe from any thread."""
    return notify_quotes_updated([symbol])
