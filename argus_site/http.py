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


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_limit = _limit()
        self._head_bytes = 0
        self._in_head = True

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
