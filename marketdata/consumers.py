"""/ws/market_data: the Channels consumer owns the connection lifecycle and forwards the rest."""

from __future__ import annotations

from channels.generic.websocket import AsyncWebsocketConsumer

from argus_site.api.errors import ServiceUnavailable
from marketdata.streaming.protocol import CLOSE_TOO_MANY_CONNECTIONS, error_frame
from marketdata.streaming.session import Session


class MarketDataConsumer(AsyncWebsocketConsumer):
    """Subscribe/unsubscribe/get_stats/ping; pushes come from the process's hub, not the channel layer."""

    session: Session | None = None
    # No channel layer: pushes come from the hub, and a layer would cost every connection its own
    # Redis receive loop (get_channel_layer returns None for an alias that is not configured).
    channel_layer_alias = "argus-stream-no-layer"

    async def connect(self) -> None:
        await self.accept()
        session = Session(self._send_text, self._close)
        if not await session.open():
            await session.connection.stop()
            details = "this server is at its WebSocket connection limit; retry later or on another node"
            await self.send(text_data=error_frame(ServiceUnavailable(details)))
            await self.close(code=CLOSE_TOO_MANY_CONNECTIONS)
            return
        self.session = session

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session is not None:
            await self.session.handle(text_data)

    async def disconnect(self, code: int) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def _send_text(self, frame: str) -> None:
        await self.send(text_data=frame)

    async def _close(self, code: int) -> None:
        await self.close(code=code)
