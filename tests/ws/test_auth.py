"""API keys on the WebSocket handshake, and the connection count in the service metrics."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from monitoring.services.apikeys import api_key_create

pytestmark = [pytest.mark.usefixtures("stream", "instruments"), pytest.mark.django_db(transaction=True)]


async def _open(headers: list[tuple[bytes, bytes]]) -> tuple[WebsocketCommunicator, dict[str, Any], Any]:
    from argus_site.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/market_data", headers=[(b"origin", b"http://localhost"), *headers]
    )
    connected, _ = await communicator.connect()
    assert connected
    first = orjson.loads(await communicator.receive_from(timeout=5))
    closed = await communicator.receive_output(timeout=5)
    return communicator, first, closed


@pytest.fixture
def keys_required(settings: Any) -> None:
    settings.ARGUS_AUTH_MODE = "production"
    settings.ARGUS_REQUIRE_API_KEY = True


async def test_handshake_without_a_key_is_refused_with_4401(keys_required: None) -> None:
    _, first, closed = await _open([])
    assert first["type"] == "error" and first["error"]["code"] == "UNAUTHORIZED"
    assert closed == {"type": "websocket.close", "code": 4401}


async def test_key_without_the_market_data_scope_is_refused_with_4403(keys_required: None) -> None:
    _, raw = await sync_to_async(api_key_create)(name="cache only", scopes=["cache:manage"])
    _, first, closed = await _open([(b"x-api-key", raw.encode())])
    assert first["error"]["code"] == "FORBIDDEN"
    assert closed == {"type": "websocket.close", "code": 4403}


async def test_a_valid_key_connects_and_is_counted(keys_required: None, connect: Any) -> None:
    from monitoring.services import metrics

    _, raw = await sync_to_async(api_key_create)(name="reader", scopes=["market_data:read"])
    before = metrics._recorder.ws_active
    from argus_site.asgi import application

    communicator = WebsocketCommunicator(
        application,
        "/ws/market_data",
        headers=[(b"origin", b"http://localhost"), (b"authorization", b"Bearer " + raw.encode())],
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data=orjson.dumps({"action": "ping"}).decode())
    assert orjson.loads(await communicator.receive_from(timeout=5))["type"] == "pong"
    assert metrics._recorder.ws_active == before + 1
    await communicator.disconnect()
    assert metrics._recorder.ws_active == before


async def _reader(raw: str) -> WebsocketCommunicator:
    from argus_site.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/market_data", headers=[(b"origin", b"http://localhost"), (b"x-api-key", raw.encode())]
    )
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_to(text_data=orjson.dumps({"action": "ping"}).decode())
    assert orjson.loads(await communicator.receive_from(timeout=5))["type"] == "pong"
    return communicator


async def test_revoking_a_key_closes_its_connections_with_4401_and_refuses_the_next_handshake(
    keys_required: None, connect: Any
) -> None:
    from monitoring.services.apikeys import api_key_revoke

    revoked, raw = await sync_to_async(api_key_create)(name="to revoke", scopes=["market_data:read"])
    _, other_raw = await sync_to_async(api_key_create)(name="stays", scopes=["market_data:read"])
    first = await _reader(raw)
    second = await _reader(raw)  # verified from this process's handshake cache
    bystander = await _reader(other_raw)
    await sync_to_async(api_key_revoke)(revoked)
    for communicator in (first, second):
        error = orjson.loads(await communicator.receive_from(timeout=5))
        assert error["type"] == "error" and error["error"]["code"] == "UNAUTHORIZED"
        assert "revoked" in error["error"]["details"]
        assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    await bystander.send_to(text_data=orjson.dumps({"action": "ping"}).decode())
    assert orjson.loads(await bystander.receive_from(timeout=5))["type"] == "pong"
    _, refused, closed = await _open([(b"x-api-key", raw.encode())])
    assert refused["error"]["code"] == "UNAUTHORIZED"
    assert closed == {"type": "websocket.close", "code": 4401}
    await bystander.disconnect()


async def test_removing_the_scope_closes_connections_but_renaming_does_not(keys_required: None, connect: Any) -> None:
    key, raw = await sync_to_async(api_key_create)(name="editable", scopes=["market_data:read"])
    communicator = await _reader(raw)
    key.name = "renamed"
    await sync_to_async(key.save)()
    await communicator.send_to(text_data=orjson.dumps({"action": "ping"}).decode())
    assert orjson.loads(await communicator.receive_from(timeout=5))["type"] == "pong"
    key.scopes = ["cache:manage"]
    await sync_to_async(key.save)()
    assert orjson.loads(await communicator.receive_from(timeout=5))["error"]["code"] == "UNAUTHORIZED"
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    _, refused, _ = await _open([(b"x-api-key", raw.encode())])
    assert refused["error"]["code"] == "FORBIDDEN"


async def test_handshakes_past_the_clients_limit_are_refused_with_4429_and_others_still_connect(
    settings: Any,
) -> None:
    """A reconnect loop could make the server do unbounded work: handshakes count per client."""
    from argus_site.asgi import application
    from monitoring.services.ratelimit import rate_limits_reset

    settings.ARGUS_RATE_LIMITS = {**settings.ARGUS_RATE_LIMITS, "websocket": (3, 60.0)}
    await sync_to_async(rate_limits_reset)()

    async def handshake(client: str) -> tuple[dict[str, Any] | None, int | None]:
        communicator = WebsocketCommunicator(application, "/ws/market_data", headers=[(b"origin", b"http://localhost")])
        communicator.scope["client"] = (client, 40000)
        connected, _ = await communicator.connect()
        assert connected
        await communicator.send_to(text_data=orjson.dumps({"action": "ping"}).decode())
        first = orjson.loads(await communicator.receive_from(timeout=5))
        if first["type"] == "pong":
            await communicator.disconnect()
            return first, None
        closed = await communicator.receive_output(timeout=5)
        return first, closed["code"]

    answers = [await handshake("10.1.1.1") for _ in range(4)]
    assert [a[0]["type"] for a in answers[:3]] == ["pong"] * 3  # type: ignore[index]
    first, code = answers[3]
    assert first is not None and first["error"]["code"] == "RATE_LIMIT_EXCEEDED" and code == 4429
    assert "handshakes" in first["error"]["details"]
    other, _ = await handshake("10.2.2.2")  # another client is not affected
    assert other is not None and other["type"] == "pong"
