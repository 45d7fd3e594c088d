"""Redis failing under the stream: errors the client can act on, never a dead connection or server."""

from __future__ import annotations

from typing import Any

import pytest

from streaming import reset_streaming
from tests.support.net import free_port
from tests.support.redis_server import private_redis, require_redis_server

pytestmark = [pytest.mark.usefixtures("stream", "instruments")]


@pytest.fixture
def redis_server_installed() -> None:
    require_redis_server()


@pytest.fixture
def stream_on(settings: Any, redis_server_installed: None) -> Any:
    """Point the stream (only) at a Redis URL of the test's choosing."""

    def use(url: str) -> None:
        settings.USE_REDIS = True
        settings.REDIS_URL = url
        reset_streaming()

    yield use
    reset_streaming()


async def test_subscribe_while_redis_is_down_answers_service_unavailable_and_the_connection_lives(
    connect: Any, stream_on: Any
) -> None:
    port = free_port()
    with private_redis(port) as server:
        stream_on(f"redis://127.0.0.1:{port}/0")
        ws = await connect()
        await ws.send_json_to({"action": "subscribe", "symbols": ["000001.SZ"]})
        assert (await ws.receive_json_from(timeout=5))["type"] == "subscribed"
        assert (await ws.receive_json_from(timeout=5))["type"] == "snapshot"
        server.kill()
        server.wait(5)
        await ws.send_json_to({"action": "subscribe", "symbols": ["600000.SH"]})
        error = await ws.receive_json_from(timeout=15)
        assert error["type"] == "error"
        assert error["action"] == "subscribe"
        assert error["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert "retry" in error["error"]["details"]
        await ws.send_json_to({"action": "ping"})
        assert (await ws.receive_json_from(timeout=5))["type"] == "pong"


async def test_connect_with_redis_unreachable_is_accepted_and_says_why_subscribe_fails(
    connect: Any, stream_on: Any, monkeypatch: Any
) -> None:
    from streaming import hub

    monkeypatch.setattr(hub, "READY_SECONDS", 0.5)
    stream_on(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    ws = await connect()
    await ws.send_json_to({"action": "ping"})
    assert (await ws.receive_json_from(timeout=5))["type"] == "pong"
    await ws.send_json_to({"action": "subscribe", "symbols": ["000001.SZ"]})
    error = await ws.receive_json_from(timeout=15)
    assert error["error"]["code"] == "SERVICE_UNAVAILABLE"
