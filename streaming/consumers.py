"""/ws/market_data: the Channels consumer owns the connection lifecycle and forwards the rest."""

from __future__ import annotations

from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from core.errors import ApiError, DatabaseUnavailable, RateLimitExceeded, ServiceUnavailable, Unauthorized
from monitoring.services.apikeys import api_key_digest, api_key_from_scope
from monitoring.services.guard import websocket_authenticate, websocket_handshake_limit
from monitoring.services.metrics import ws_connection_closed, ws_connection_opened
from streaming import get_hub
from streaming.protocol import (
    CLOSE_FORBIDDEN,
    CLOSE_RATE_LIMITED,
    CLOSE_TOO_MANY_CONNECTIONS,
    CLOSE_TRY_AGAIN_LATER,
    CLOSE_UNAUTHORIZED,
    error_frame,
)
from streaming.session import Session


class MarketDataConsumer(AsyncWebsocketConsumer):
    """Subscribe/unsubscribe/get_stats/ping; pushes come from the process's hub, not the channel layer."""

    session: Session | None = None
    # No channel layer: pushes come from the hub, and a layer would cost every connection its own
    # Redis receive loop (get_channel_layer returns None for an alias that is not configured).
    channel_layer_alias = "argus-stream-no-layer"

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, minus its per-message `aclose_old_connections()`.

        That call is a thread hop to the one sync thread for every frame a client sends, which
        queued a reconnect storm's subscribes behind one another. The only database access here
        (the handshake's key check) goes through database_sync_to_async, which closes stale
        connections itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        await self.accept()
        try:
            # The handshake's API key, under the same rules as HTTP (monitoring/policy.py), then the
            # client's handshake count (a reconnect loop cannot make the server do unbounded work).
            key = await self._authenticate()
            await websocket_handshake_limit(self.scope, key)
        except ApiError as refused:
            # Accept first, so the client reads why before the close.
            await self.send(text_data=error_frame(refused))
            await self.close(code=_close_code(refused))
            return
        session = Session(self._send_text, self._close)
        session.connection.key = key
        if not await session.open():
            await session.connection.stop()
            details = "this server is at its WebSocket connection limit; retry later or on another node"
            await self.send(text_data=error_frame(ServiceUnavailable(details)))
            await self.close(code=CLOSE_TOO_MANY_CONNECTIONS)
            return
        self.session = session
        ws_connection_opened()

    async def _authenticate(self) -> str | None:
        """The prefix of the handshake's API key (None: anonymous), under /ws/market_data's policy.

        A key this process verified in the last KEY_SECONDS is not looked up again: each lookup is a
        hop to Channels' one database thread (~1.5 ms), and a reconnect storm of one client's
        connections queued behind it. Revoking, editing or deleting a key clears it from every
        process's cache and closes its connections (streaming/keys.py).
        """
        raw = api_key_from_scope(self.scope)
        if raw is None:
            websocket_authenticate(self.scope)  # no key: decided from settings alone, no database
            return None
        return await get_hub().key_verify(api_key_digest(raw), self._key_lookup)

    async def _key_lookup(self) -> str:
        key = await database_sync_to_async(websocket_authenticate)(self.scope)
        if key is None:  # not reached: a presented key is returned or refused
            raise Unauthorized("the API key could not be checked; reconnect")
        return key.prefix

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session is not None:
            await self.session.handle(text_data)

    async def disconnect(self, code: int) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None
            ws_connection_closed()

    async def _send_text(self, frame: str) -> None:
        await self.send(text_data=frame)

    async def _close(self, code: int) -> None:
        await self.close(code=code)


def _close_code(refused: ApiError) -> int:
    """4401/4403 for a key refused; 1013 (try again later) when the key could not be checked at all."""
    if isinstance(refused, DatabaseUnavailable):
        return CLOSE_TRY_AGAIN_LATER
    if isinstance(refused, RateLimitExceeded):
        return CLOSE_RATE_LIMITED
    return CLOSE_UNAUTHORIZED if isinstance(refused, Unauthorized) else CLOSE_FORBIDDEN
