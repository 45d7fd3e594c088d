"""argus_site/http.py: an answer's head and body leave in one write; nothing is held back or reordered."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from argus_site.http import CoalescingTransport


class CountingTransport:
    """A real asyncio transport (over a socket pair) whose writes are counted."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self.transport.write(data)

    def writelines(self, chunks: Any) -> None:
        chunks = list(chunks)
        self.writes.append(b"".join(chunks))
        self.transport.writelines(chunks)

    def close(self) -> None:
        self.transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


async def _pair() -> tuple[CountingTransport, socket.socket]:
    ours, theirs = socket.socketpair()
    loop = asyncio.get_running_loop()
    transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
    theirs.setblocking(False)
    return CountingTransport(transport), theirs  # type: ignore[arg-type]


async def _read(sock: socket.socket, size: int) -> bytes:
    loop = asyncio.get_running_loop()
    data = b""
    async with asyncio.timeout(5):
        while len(data) < size:
            data += await loop.sock_recv(sock, 65536)
    return data


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"


def test_a_head_and_its_body_are_one_write() -> None:
    async def run() -> None:
        counting, peer = await _pair()
        transport = CoalescingTransport(counting, asyncio.get_running_loop())
        transport.write(HEAD)
        assert counting.writes == []  # held for the body
        transport.write(b"hello")
        assert counting.writes == [HEAD + b"hello"]
        assert await _read(peer, len(HEAD) + 5) == HEAD + b"hello"
        big = b"x" * 300_000  # past JOIN_MAX_BYTES: two buffers of one call, not a copy
        transport.write(HEAD)
        transport.write(big)
        assert counting.writes[1:] == [HEAD + big]
        assert await _read(peer, len(HEAD) + len(big)) == HEAD + big
        transport.close()
        peer.close()

    asyncio.run(run())


def test_a_head_without_a_body_goes_out_on_the_next_iteration_and_close_sends_what_is_held() -> None:
    async def run() -> None:
        counting, peer = await _pair()
        transport = CoalescingTransport(counting, asyncio.get_running_loop())
        transport.write(HEAD)  # a HEAD request's answer: no body follows
        await asyncio.sleep(0)
        assert counting.writes == [HEAD]
        assert await _read(peer, len(HEAD)) == HEAD
        transport.write(b"not a head")  # other writes pass straight through
        assert counting.writes[-1] == b"not a head"
        transport.write(HEAD)
        transport.close()  # what is held is sent before the close
        assert counting.writes[-1] == HEAD
        assert await _read(peer, len(b"not a head") + len(HEAD)) == b"not a head" + HEAD
        assert transport.is_closing()  # everything else is the transport's own
        peer.close()

    asyncio.run(run())
