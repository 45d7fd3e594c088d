"""/ws/market_data: the Channels consumer owns the connection lifecycle and forwards the rest."""

from __future__ import annotations

from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer

from core.errors import ApiError, DatabaseUnavailable, RateLimitExceeded, ServiceUnavailable, Unauthorized
from monitoring.edge import edge_decision
from monitoring.services.metrics import ws_connection_closed, ws_connection_opened
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
        # The edge (monitoring/edge.py) decided this handshake: its API key under /ws/market_data's
        # policy, then the client's handshake count. Only read here; no decision means the consumer
        # was mounted without the edge, which is refused rather than let through unchecked.
        decision = edge_decision(self.scope)
        refused = (
            Unauthorized("this server could not check the handshake; reconnect")
            if decision is None
            else decision.refusal
        )
        if refused is not None:
            # Accepted first, so the client reads why before the close.
            await self.send(text_data=error_frame(refused))
            await self.close(code=_close_code(refused))
            return
        assert decision is not None
        key = decision.key_prefix
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
