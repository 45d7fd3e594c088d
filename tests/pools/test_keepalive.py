"""A kept-alive connection the node closes as the pool reuses it must not take the node out of rotation.

uvicorn closes idle connections after 5 s. When that close crosses a request reusing the connection,
the request fails without reaching the node (seen in CI: a healthy node ejected, its share of the
traffic sent elsewhere). The pool retries such a failure of an idempotent request once, on a fresh
connection to the same node.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from pools.runtime import PoolUnavailable
from pools.services import pool_request
from tests.pools.test_nodes import make_pool

pytestmark = pytest.mark.django_db

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class ClosingServer:
    """Answers the first request of a connection; drops the connection (RST) on its second request,
    as a server whose keep-alive timer fires while the request is on its way."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(10)
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self.dropped = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read_request(self, conn: socket.socket) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            data += chunk
        return True

    def _serve(self) -> None:
        try:
            while True:
                conn, _ = self.sock.accept()
                conn.settimeout(10)
                with conn:
                    served = 0
                    while self._read_request(conn):
                        self.requests += 1
                        if served == 1:
                            self.dropped += 1
                            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                            break  # closed with RST, no answer
                        conn.sendall(RESPONSE)
                        served += 1
        except OSError:
            return  # closed by the test

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def closing_server() -> Iterator[ClosingServer]:
    server = ClosingServer()
    yield server
    server.close()


def test_a_connection_closed_by_the_node_on_reuse_is_retried_on_the_same_node(
    closing_server: ClosingServer, caplog: pytest.LogCaptureFixture
) -> None:
    name = make_pool([SimpleNamespace(port=closing_server.port)], max_idle_time=30.0)
    address = f"127.0.0.1:{closing_server.port}"
    first = pool_request(name=name, method="GET", path="/health")
    second = pool_request(name=name, method="GET", path="/health")  # reuses the connection: dropped, retried
    third = pool_request(name=name, method="GET", path="/health")
    assert (first.node, second.node, third.node) == (address, address, address)
    assert closing_server.dropped >= 1
    assert "out of rotation" not in caplog.text
    assert "on a kept-alive connection" in caplog.text


def test_a_non_idempotent_request_is_not_sent_twice(closing_server: ClosingServer) -> None:
    name = make_pool([SimpleNamespace(port=closing_server.port)], max_idle_time=30.0)
    pool_request(name=name, method="GET", path="/health")
    with pytest.raises(PoolUnavailable):
        pool_request(name=name, method="POST", path="/api/v1/anything")
    assert closing_server.requests == 2  # the POST reached the node once, and was not repeated
