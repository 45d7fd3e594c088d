"""End to end: a real uvicorn, the real ASGI app, a real WebSocket client (and real Redis in that pass)."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from streaming.services.ticks import ticks_ingest

ORIGIN = "http://localhost"


def receive(ws: ClientConnection, kind: str | None = None) -> dict[str, Any]:
    message = json.loads(ws.recv(timeout=10))
    if kind is not None:
        assert message["type"] == kind, message
    return message


def subscribe(ws: ClientConnection, **body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    ws.send(json.dumps({"action": "subscribe", **body}))
    return receive(ws, "subscribed"), receive(ws, "snapshot")


def test_subscribe_snapshot_push_unsubscribe(live_ws: str, make_tick: Any) -> None:
    ticks_ingest([make_tick("000001.SZ", 0), make_tick("600000.SH", 0)])
    with connect(live_ws, origin=ORIGIN) as ws:
        ack, snapshot = subscribe(ws, symbols=["000001.SZ", "600000.SH"], fields=["price"])
        assert ack["data"]["pending"] == []
        assert sorted((d["symbol"], d["seq"], d["price"]) for d in snapshot["data"]) == [
            ("000001.SZ", 1, 10.0),
            ("600000.SH", 1, 10.0),
        ]
        ticks_ingest([make_tick("000001.SZ", 1)])
        assert receive(ws, "market_data")["data"] == {
            "symbol": "000001.SZ",
            "seq": 2,
            "trading_day": "2024-01-15",
            "price": 10.01,
            "timestamp": "2024-01-15T01:30:03.000Z",
            "simulated": True,  # the source's flag on every push (its name is in the ack)
        }
        assert ack["data"]["provenance"]["000001.SZ"] == {"source": "simulated", "simulated": True, "replayed": False}
        ws.send(json.dumps({"action": "unsubscribe", "symbols": ["000001.SZ"]}))
        assert receive(ws, "unsubscribed")["data"]["subscribed"] == ["600000.SH"]
        ticks_ingest([make_tick("000001.SZ", 2), make_tick("600000.SH", 1)])
        push = receive(ws, "market_data")
        assert (push["data"]["symbol"], push["data"]["seq"]) == ("600000.SH", 2)


def test_disconnect_and_resume_has_no_missing_and_no_duplicate_seq(live_ws: str, make_tick: Any) -> None:
    seen: list[int] = []
    with connect(live_ws, origin=ORIGIN) as ws:
        subscribe(ws, symbols=["000002.SZ"], fields=["price"])
        for step in range(5):
            ticks_ingest([make_tick("000002.SZ", step)])
        seen += [receive(ws, "market_data")["data"]["seq"] for _ in range(5)]
    for step in range(5, 12):  # missed while away
        ticks_ingest([make_tick("000002.SZ", step)])
    with connect(live_ws, origin=ORIGIN) as ws:
        ws.send(json.dumps({"action": "subscribe", "symbols": ["000002.SZ"], "resume_from": {"000002.SZ": seen[-1]}}))
        seen += [receive(ws, "market_data")["data"]["seq"] for _ in range(7)]
        assert receive(ws, "subscribed")["data"]["pending"] == []
        assert receive(ws, "snapshot")["data"] == []
        for step in range(12, 15):
            ticks_ingest([make_tick("000002.SZ", step)])
        seen += [receive(ws, "market_data")["data"]["seq"] for _ in range(3)]
    assert seen == list(range(1, 16))


def test_client_that_stops_reading_is_bounded_then_closed_and_others_unaffected(
    live_ws: str, make_tick: Any, settings: Any
) -> None:
    from streaming import _hubs

    settings.ARGUS_WS_SEND_QUEUE = 100
    settings.ARGUS_WS_SLOW_CLIENT_TIMEOUT = 1.0
    symbols = ["000001.SZ", "000002.SZ", "600000.SH", "300750.SZ"]
    # max_queue=1 and a small receive buffer: the client stops reading from the socket at once.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", int(live_ws.split(":")[2].split("/")[0])))
    with (
        connect(live_ws, origin=ORIGIN, max_queue=1, sock=sock, ping_interval=None) as slow,
        connect(live_ws, origin=ORIGIN) as fast,
    ):
        subscribe(slow, symbols=symbols)
        subscribe(fast, symbols=symbols, fields=["price"])
        [hub] = [h for h in _hubs.values() if not h.loop.is_closed()]
        [lagger] = [c for c in hub.connections if c.fields["000001.SZ"] is None]
        received: list[tuple[str, int]] = []
        peak = steps = 0
        # Push until the slow client's socket buffers are full and the server conflates it.
        while lagger.lagging_since is None and steps < 20000:
            ticks_ingest([make_tick(s, step) for step in range(steps, steps + 20) for s in symbols])
            steps += 20
            for _ in range(20 * len(symbols)):
                data = receive(fast, "market_data")["data"]
                received.append((data["symbol"], data["seq"]))
            peak = max(peak, lagger.pending())
        assert lagger.lagging_since is not None
        for symbol in symbols:  # the reading client got every push, in order
            assert [seq for s, seq in received if s == symbol] == list(range(1, steps + 1))
        # Queue bound, then conflation: never more than the queue size plus one entry per symbol.
        assert peak <= 100 + len(symbols)
        deadline = time.monotonic() + 15
        while len(hub.connections) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(hub.connections) == 1  # the slow one was closed
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                slow.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008
        fast.send(json.dumps({"action": "ping"}))
        assert receive(fast, "pong")


def test_malformed_messages_get_errors_and_the_server_survives(live_ws: str) -> None:
    with connect(live_ws, origin=ORIGIN, max_size=None) as ws, connect(live_ws, origin=ORIGIN) as other:
        for frame, code in [
            ("{oops", "INVALID_PARAMETER"),
            ('{"action": 7}', "INVALID_PARAMETER"),
            ('{"action": "subscribe", "symbols": ["000001.XX"]}', "INVALID_PARAMETER"),
            (json.dumps({"action": "ping", "pad": "x" * 200_000}), "INVALID_PARAMETER"),
        ]:
            ws.send(frame)
            assert receive(ws, "error")["error"]["code"] == code
        ws.send(b"\xff\xfe")
        assert receive(ws, "error")["error"]["code"] == "INVALID_PARAMETER"
        # Past the server's 1 MiB frame limit uvicorn closes with 1009 (the client may see the reset
        # while still sending).
        with pytest.raises(ConnectionClosed) as closed:
            ws.send("x" * (2 * 1024 * 1024))
            ws.recv(timeout=10)
        assert closed.value.rcvd is None or closed.value.rcvd.code == 1009
        other.send(json.dumps({"action": "ping"}))
        assert receive(other, "pong")
