"""uvicorn's httptools protocol with a bound on the request head (request line plus headers).

httptools (llhttp) accepts a header of any size: a 10 MB header was read into memory and the request
served. Past ARGUS_MAX_HEADER_BYTES of head, this answers 431 with the spec's envelope and closes
the connection. The count is of bytes received before the head is complete, so the bound holds to
within one socket read (64 KiB). `manage.py serve` uses it (`http="argus_site.http:..."`).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

from core.errors import error_body
from core.renderers import dumps

STATUS_HEADERS_TOO_LARGE = 431


def _limit() -> int:
    from django.conf import settings

    return int(settings.ARGUS_MAX_HEADER_BYTES)


class CoalescingTransport:
    """A connection's transport that sends a response's head and its body in one write.

    uvicorn writes the status line and headers when the app sends `http.response.start` and the
    body when it sends `http.response.body`: two `send` syscalls (and two TCP segments) for every
    answer, which on the fast path were a fifth of a worker's time (bench/http_api.py's profile).
    A write that ends a head (`HTTP/...\r\n\r\n`) is held and joined to the next write; if no
    write follows in the same event-loop iteration (a HEAD answer, a streamed body still being
    made), the head goes out by itself on the next iteration. Order is kept; nothing is dropped
    (close and writelines send what is held first). Everything else is the transport's own.
    """

    __slots__ = ("_held", "_loop", "transport")

    def __init__(self, transport: Any, loop: Any) -> None:
        self.transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        held = self._held
        if held is not None:
            self._held = None
            if len(data) <= JOIN_MAX_BYTES:
                self.transport.write(held + data)
            else:
                self.transport.writelines((held, data))
            return
        if data[-4:] == b"\r\n\r\n" and data[:5] == b"HTTP/":
            self._held = data
            self._loop.call_soon(self.release)
            return
        self.transport.write(data)

    def release(self) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self.transport.write(held)

    def writelines(self, chunks: Any) -> None:
        self.release()
        self.transport.writelines(chunks)

    def write_eof(self) -> None:
        self.release()
        self.transport.write_eof()

    def close(self) -> None:
        self.release()
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


# A body up to this size is copied behind its head (one buffer); a larger one is written with it
# as two buffers of one writelines call.
JOIN_MAX_BYTES = 256 * 1024


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bound on the request head, whose answers go out in one
    write each (CoalescingTransport)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_limit = _limit()
        self._head_bytes = 0
        self._in_head = True

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.transport = CoalescingTransport(transport, self.loop)  # type: ignore[assignment]

    def handle_websocket_upgrade(self) -> None:
        # The WebSocket protocol takes the connection's own transport (its frames are not heads).
        if isinstance(self.transport, CoalescingTransport):
            self.transport.release()
            self.transport = self.transport.transport
        super().handle_websocket_upgrade()

    def on_message_begin(self) -> None:
        self._in_head = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > self._head_limit and not self.transport.is_closing():
            self._refuse()

    def _refuse(self) -> None:
        details = f"request headers too large: more than {self._head_limit} bytes; send fewer or shorter headers"
        body = dumps(error_body("INVALID_PARAMETER", details))
        head = (
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n"
        )
        self.logger.warning("refused a request head over %d bytes from %s", self._head_limit, self.client)
        self.transport.write(head + body)
        self.transport.close()


class DeflateWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets protocol with permessage-deflate at ARGUS_WS_COMPRESSION_LEVEL (the user
    guide's compression_level, 6). It is negotiated only with a client that offers it in its
    handshake; every other client gets uncompressed frames. `manage.py serve` uses it (`ws=...`),
    with uvicorn's ws_per_message_deflate on unless the level is 0."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.conf import settings

        level = int(settings.ARGUS_WS_COMPRESSION_LEVEL)
        self.conn.available_extensions = (
            [
                ServerPerMessageDeflateFactory(
                    server_max_window_bits=12,
                    client_max_window_bits=12,
                    compress_settings={"level": level, "memLevel": 5},
                )
            ]
            if level
            else []
        )
