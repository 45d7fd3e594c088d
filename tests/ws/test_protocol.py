"""The /ws/market_data protocol through Channels' WebsocketCommunicator and the real ASGI app."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from asgiref.sync import sync_to_async

from streaming.services.ticks import ticks_ingest

pytestmark = [pytest.mark.usefixtures("stream", "instruments")]


async def ingest(*ticks: Any) -> Any:
    return await sync_to_async(ticks_ingest)(list(ticks))


async def receive(communicator: Any, kind: str | None = None) -> dict[str, Any]:
    message = await communicator.receive_json_from(timeout=5)
    if kind is not None:
        assert message["type"] == kind, message
    return message


async def subscribe(communicator: Any, **body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    await communicator.send_json_to({"action": "subscribe", **body})
    return await receive(communicator, "subscribed"), await receive(communicator, "snapshot")


async def test_subscribe_acks_with_snapshot_then_pushes_filtered_fields(connect: Any, make_tick: Any) -> None:
    await ingest(make_tick("000001.SZ", 0))
    ws = await connect()
    ack, snapshot = await subscribe(ws, symbols=["000001.SZ", "600000.SH"], fields=["price", "volume", "change"])
    assert ack["data"]["symbols"] == ["000001.SZ", "600000.SH"]
    assert ack["data"]["pending"] == ["600000.SH"]
    assert ack["data"]["fields"] == ["price", "change", "volume"]
    [item] = snapshot["data"]
    assert item == {
        "symbol": "000001.SZ",
        "seq": 1,
        "trading_day": "2024-01-15",
        "price": 10.0,
        "change": 0.1,
        "volume": 1000,
        "timestamp": "2024-01-15T01:30:00.000Z",
        "simulated": True,
    }
    await ingest(make_tick("000001.SZ", 1), make_tick("000002.SZ", 1))
    push = await receive(ws, "market_data")
    assert push["data"] == {
        "symbol": "000001.SZ",
        "seq": 2,
        "trading_day": "2024-01-15",
        "price": 10.01,
        "change": 0.11,
        "volume": 2000,
        "timestamp": "2024-01-15T01:30:03.000Z",
        "simulated": True,
    }
    assert await ws.receive_nothing(timeout=0.3)  # 000002.SZ is not subscribed


async def test_all_fields_when_none_asked(connect: Any, make_tick: Any) -> None:
    ws = await connect()
    await subscribe(ws, symbols=["000001.SZ"])
    await ingest(make_tick("000001.SZ", 3))
    data = (await receive(ws, "market_data"))["data"]
    assert data["name"] == "平安银行"
    assert set(data) == {
        "symbol",
        "seq",
        "trading_day",
        "name",
        "price",
        "change",
        "change_pct",
        "volume",
        "turnover",
        "high",
        "low",
        "open",
        "prev_close",
        "timestamp",
        "simulated",
    }


async def test_unsubscribe_stops_pushes(connect: Any, make_tick: Any) -> None:
    ws = await connect()
    await subscribe(ws, symbols=["000001.SZ", "000002.SZ"])
    await ws.send_json_to({"action": "unsubscribe", "symbols": ["000001.SZ"]})
    reply = await receive(ws, "unsubscribed")
    assert reply["data"] == {"symbols": ["000001.SZ"], "subscribed": ["000002.SZ"]}
    await ingest(make_tick("000001.SZ", 1), make_tick("000002.SZ", 1))
    push = await receive(ws, "market_data")
    assert push["data"]["symbol"] == "000002.SZ"
    assert await ws.receive_nothing(timeout=0.3)


async def test_get_stats_counts_connections_subscriptions_and_messages(connect: Any, make_tick: Any) -> None:
    first, second = await connect(), await connect()
    await subscribe(first, symbols=["000001.SZ", "000002.SZ"])
    await subscribe(second, symbols=["000001.SZ"])
    await ingest(make_tick("000001.SZ", 1))
    await receive(first, "market_data")
    await receive(second, "market_data")
    await first.send_json_to({"action": "get_stats"})
    stats = (await receive(first, "stats"))["data"]
    assert stats["total_connections"] == 2
    assert stats["total_subscriptions"] == 3
    assert stats["messages_sent"] == 6  # two acks, two snapshots, two pushes
    assert isinstance(stats["uptime_seconds"], int) and stats["uptime_seconds"] >= 0


async def test_ping_pong(connect: Any) -> None:
    ws = await connect()
    await ws.send_json_to({"action": "ping"})
    pong = await receive(ws, "pong")
    assert pong["timestamp"].endswith("Z")


@pytest.mark.parametrize(
    ("frame", "code", "hint"),
    [
        ("not json", "INVALID_PARAMETER", "not JSON"),
        ("[1, 2]", "INVALID_PARAMETER", "JSON object"),
        ('{"symbols": ["000001.SZ"]}', "MISSING_PARAMETER", "'action' is missing"),
        ('{"action": "dance"}', "INVALID_PARAMETER", "unknown action 'dance'"),
        ('{"action": "subscribe"}', "MISSING_PARAMETER", "'symbols' is missing"),
        ('{"action": "subscribe", "symbols": 5}', "INVALID_PARAMETER", "non-empty list"),
        ('{"action": "subscribe", "symbols": ["12345"]}', "INVALID_PARAMETER", "is not a symbol"),
        ('{"action": "subscribe", "symbols": ["999999.SZ"]}', "INVALID_PARAMETER", "code 999999"),
        ('{"action": "subscribe", "symbols": ["600519.SH"]}', "INVALID_PARAMETER", "unknown symbols ['600519.SH']"),
        ('{"action": "subscribe", "symbols": ["000001.SZ"], "fields": ["colour"]}', "INVALID_PARAMETER", "colour"),
        ('{"action": "subscribe", "symbols": ["000001.SZ"], "fields": "price"}', "INVALID_PARAMETER", "fields"),
        (
            '{"action": "subscribe", "symbols": ["000001.SZ"], "resume_from": {"000001.SZ": "x"}}',
            "INVALID_PARAMETER",
            "resume_from",
        ),
        (
            '{"action": "subscribe", "symbols": ["000001.SZ"], "resume_from": {"000002.SZ": 3}}',
            "INVALID_PARAMETER",
            "not in 'symbols'",
        ),
    ],
)
async def test_bad_input_gets_structured_error_and_connection_stays_usable(
    connect: Any, frame: str, code: str, hint: str
) -> None:
    ws = await connect()
    await ws.send_to(text_data=frame)
    error = await receive(ws, "error")
    assert error["error"]["code"] == code
    assert hint in error["error"]["details"]
    assert error["error"]["message"]
    # The error names the action the message asked for (issue 15: not "action": null for a subscribe).
    asked = json.loads(frame).get("action") if frame.startswith("{") else None
    assert error["action"] == asked
    await ws.send_json_to({"action": "ping"})
    await receive(ws, "pong")


async def test_huge_frame_is_refused_with_an_error(connect: Any) -> None:
    ws = await connect()
    await ws.send_to(text_data=orjson.dumps({"action": "ping", "pad": "x" * 100_000}).decode())
    error = await receive(ws, "error")
    assert error["error"]["code"] == "INVALID_PARAMETER"
    assert "at most 65536" in error["error"]["details"]
    await ws.send_to(bytes_data=b"\x00\x01")
    assert (await receive(ws, "error"))["error"]["details"].startswith("send text frames")
    await ws.send_json_to({"action": "ping"})
    await receive(ws, "pong")


async def test_rate_limit_1000_messages_per_minute(connect: Any, settings: Any) -> None:
    settings.ARGUS_RATE_LIMITS = {**settings.ARGUS_RATE_LIMITS, "websocket": (1000, 60.0)}  # the spec's row
    ws = await connect()
    for _ in range(1001):
        await ws.send_json_to({"action": "ping"})
    replies = [await receive(ws) for _ in range(1001)]
    assert sum(r["type"] == "pong" for r in replies) == 1000
    [error] = [r for r in replies if r["type"] == "error"]
    assert error["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert error["action"] is None


async def test_symbol_cap_per_connection(connect: Any, settings: Any) -> None:
    settings.ARGUS_WS_MAX_SYMBOLS = 2
    ws = await connect()
    await subscribe(ws, symbols=["000001.SZ", "000002.SZ"])
    await ws.send_json_to({"action": "subscribe", "symbols": ["600000.SH"]})
    error = await receive(ws, "error")
    assert error["action"] == "subscribe"
    assert "3 symbols on one connection; at most 2" in error["error"]["details"]
    await ws.send_json_to({"action": "unsubscribe", "symbols": ["000001.SZ"]})
    await receive(ws, "unsubscribed")
    ack, _ = await subscribe(ws, symbols=["600000.SH"])
    assert ack["data"]["subscribed"] == 2


async def test_connection_limit_answers_and_closes(connect: Any, settings: Any) -> None:
    settings.ARGUS_WS_MAX_CONNECTIONS = 1
    await connect()
    second = await connect()
    error = await receive(second, "error")
    assert error["error"]["code"] == "SERVICE_UNAVAILABLE"
    closed = await second.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 1013}


async def test_resume_replays_missed_pushes_without_gaps(connect: Any, make_tick: Any) -> None:
    await ingest(*[make_tick("000001.SZ", i) for i in range(5)])
    ws = await connect()
    await ws.send_json_to(
        {"action": "subscribe", "symbols": ["000001.SZ"], "fields": ["price"], "resume_from": {"000001.SZ": 2}}
    )
    replayed = [await receive(ws, "market_data") for _ in range(3)]
    assert [m["data"]["seq"] for m in replayed] == [3, 4, 5]
    ack = await receive(ws, "subscribed")
    assert ack["data"]["pending"] == []
    assert (await receive(ws, "snapshot"))["data"] == []
    await ingest(make_tick("000001.SZ", 5))
    assert (await receive(ws, "market_data"))["data"]["seq"] == 6


async def test_resume_beyond_buffer_sends_reset_and_snapshot(connect: Any, make_tick: Any, settings: Any) -> None:
    await ingest(*[make_tick("000001.SZ", i) for i in range(3)])
    ws = await connect()
    await ws.send_json_to({"action": "subscribe", "symbols": ["000001.SZ"], "resume_from": {"000001.SZ": 99}})
    reset = await receive(ws, "reset")
    assert reset["data"]["symbol"] == "000001.SZ"
    await receive(ws, "subscribed")
    snapshot = await receive(ws, "snapshot")
    assert [d["seq"] for d in snapshot["data"]] == [3]


async def test_status_message_on_limit_up(connect: Any, make_tick: Any) -> None:
    from marketdata.sources.base import TickStatus

    await ingest(make_tick("000001.SZ", 0))
    ws = await connect()
    await subscribe(ws, symbols=["000001.SZ"])
    await ingest(make_tick("000001.SZ", 1, price=10.89, status=TickStatus.LIMIT_UP))
    push = await receive(ws, "market_data")
    status = await receive(ws, "status")
    assert push["data"]["price"] == 10.89
    assert status["data"]["symbol"] == "000001.SZ"
    assert status["data"]["state"] == "limit_up"
