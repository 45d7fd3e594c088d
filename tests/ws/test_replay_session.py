"""Replay over the live protocol: a recorded day played to one connection (real uvicorn, real client)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from marketdata import recorded
from streaming.recorder import recorder_close
from streaming.services.ticks import ticks_ingest

ORIGIN = "http://localhost"
SYMBOLS = ["000001.SZ", "000002.SZ"]
STEPS = 10  # ticks per symbol, 3 s apart from 09:30:00


@pytest.fixture
def archive(settings: Any, tmp_path: Path) -> Iterator[Path]:
    recorder_close()
    settings.ARGUS_RECORDER_ENABLED = True
    settings.ARGUS_RECORDER_DIR = str(tmp_path / "archive")
    settings.ARGUS_RECORDER_RETENTION_DAYS = 100_000
    yield tmp_path / "archive"
    recorder_close()


def record(make_tick: Any, symbols: list[str], steps: int) -> None:
    for step in range(steps):
        ticks_ingest([make_tick(symbol, step) for symbol in symbols])
    recorder_close()


def receive(ws: ClientConnection, kind: str | None = None, timeout: float = 10) -> dict[str, Any]:
    message = json.loads(ws.recv(timeout=timeout))
    if kind is not None:
        assert message["type"] == kind, message
    return message


def replay(
    ws: ClientConnection, symbols: list[str], fields: list[str] | None = None, **options: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    body = {"action": "subscribe", "symbols": symbols, "replay": {"date": "2024-01-15", **options}}
    ws.send(json.dumps({**body, **({"fields": fields} if fields else {})}))
    return receive(ws, "subscribed"), receive(ws, "snapshot")


def until_end(ws: ClientConnection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    pushes: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    while True:
        message = receive(ws)
        assert message.get("replay") is True, message
        if message["type"] == "market_data":
            pushes.append(message)
        else:
            assert message["type"] == "status", message
            statuses.append(message["data"])
            if message["data"].get("replay") == "ended":
                return pushes, statuses


def test_replay_at_max_speed_plays_every_recorded_tick_in_order(live_ws: str, archive: Path, make_tick: Any) -> None:
    record(make_tick, SYMBOLS, STEPS)
    expected = sorted(
        (r for s in SYMBOLS for r in recorded.read_ticks("2024-01-15", s, root=archive)),
        key=lambda r: (r["recorded_at"], r["seq"]),
    )
    with connect(live_ws, origin=ORIGIN) as ws:
        ack, snapshot = replay(ws, SYMBOLS, speed="max")
        assert ack["replay"] is True and ack["data"]["replay"]["ticks"] == 2 * STEPS
        assert ack["data"]["provenance"]["000001.SZ"]["recorded"] is True and snapshot["data"] == []
        pushes, statuses = until_end(ws)
    got = [(p["data"]["symbol"], p["data"]["seq"], p["data"]["price"], p["data"]["timestamp"]) for p in pushes]
    assert got == [(r["symbol"], r["seq"], r["price"], r["timestamp"]) for r in expected]
    assert all(p["data"]["replay"] is True and p["epoch"] == expected[0]["epoch"] for p in pushes)
    assert statuses[0]["market_phase"] == "continuous"
    assert statuses[-1]["ticks_sent"] == 2 * STEPS and statuses[-1]["complete"] is True
    assert statuses[-1]["last_seq"] == {"000001.SZ": STEPS, "000002.SZ": STEPS}


def test_replay_from_a_time_snapshots_the_state_then_and_paces_at_the_speed(
    live_ws: str, archive: Path, make_tick: Any
) -> None:
    record(make_tick, SYMBOLS, STEPS)
    with connect(live_ws, origin=ORIGIN) as ws:
        # From 09:30:15: the snapshot is step 4 (09:30:12); steps 5-9 play, 12 recorded seconds at 20x.
        ack, snapshot = replay(ws, ["000001.SZ"], speed=20, **{"from": "09:30:15"}, fields=["price"])
        assert ack["data"]["replay"]["from"] == "09:30:15" and ack["data"]["replay"]["ticks"] == 5
        started = time.monotonic()
        assert [(d["seq"], d["price"], d["replay"]) for d in snapshot["data"]] == [(5, 10.04, True)]
        pushes, _ = until_end(ws)
        elapsed = time.monotonic() - started
    assert [p["data"]["seq"] for p in pushes] == [6, 7, 8, 9, 10]
    assert set(pushes[0]["data"]) == {"symbol", "seq", "trading_day", "price", "timestamp", "simulated", "replay"}
    assert 12 / 20 * 0.9 <= elapsed < 10


def test_unsubscribe_stops_a_replay(live_ws: str, archive: Path, make_tick: Any) -> None:
    record(make_tick, SYMBOLS, STEPS)
    with connect(live_ws, origin=ORIGIN) as ws:
        replay(ws, SYMBOLS, speed=1)  # 27 recorded seconds
        assert receive(ws, "status")["data"]["market_phase"] == "continuous"
        assert receive(ws, "market_data")["data"]["seq"] == 1
        ws.send(json.dumps({"action": "unsubscribe", "symbols": SYMBOLS}))
        while (message := receive(ws))["type"] != "unsubscribed":
            assert message["type"] == "market_data"
        assert message["data"]["replay_stopped"] == SYMBOLS
        with pytest.raises(TimeoutError):
            receive(ws, timeout=4)  # 3 s of recorded time at 1x: nothing more comes
        ws.send(json.dumps({"action": "ping"}))
        assert receive(ws, "pong")


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"speed": 0}, "replay.speed"),
        ({"speed": "fast"}, '"max"'),
        ({"date": "2024-13-01"}, "YYYY-MM-DD"),
        ({"date": "2999-01-01"}, "future"),
        ({"date": "2024-01-16"}, "nothing was recorded on 2024-01-16"),
        ({"from": "9:30"}, "HH:MM:SS"),
        ({"at": "09:30:00"}, "unknown keys"),
    ],
)
def test_bad_replay_parameters_get_an_error_frame_that_says_what_to_fix(
    live_ws: str, archive: Path, make_tick: Any, options: dict[str, Any], words: str
) -> None:
    record(make_tick, SYMBOLS, 2)
    with connect(live_ws, origin=ORIGIN) as ws:
        ws.send(json.dumps({"action": "subscribe", "symbols": SYMBOLS, "replay": {"date": "2024-01-15", **options}}))
        error = receive(ws, "error")
        assert error["action"] == "subscribe" and error["error"]["code"] == "INVALID_PARAMETER"
        assert words in error["error"]["details"], error
        ws.send(json.dumps({"action": "subscribe", "symbols": SYMBOLS, "replay": "2024-01-15"}))
        assert "must be an object" in receive(ws, "error")["error"]["details"]
        resumed = {"action": "subscribe", "symbols": SYMBOLS, "resume_from": {"000001.SZ": 1}}
        ws.send(json.dumps({**resumed, "replay": {"date": "2024-01-15"}}))
        assert "resume_from does not go with replay" in receive(ws, "error")["error"]["details"]


def test_a_slow_replay_reader_is_conflated_then_closed_like_a_live_one(
    live_ws: str, archive: Path, make_tick: Any, settings: Any
) -> None:
    from streaming import _hubs

    symbols = ["000001.SZ", "000002.SZ", "600000.SH", "300750.SZ"]
    record(make_tick, symbols, 5000)  # 20000 ticks over 250 recorded minutes: more than socket buffers hold
    settings.ARGUS_WS_SEND_QUEUE = 100
    settings.ARGUS_WS_SLOW_CLIENT_TIMEOUT = 1.0
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", int(live_ws.split(":")[2].split("/")[0])))
    with connect(live_ws, origin=ORIGIN, max_queue=1, sock=sock, ping_interval=None) as slow:
        slow.send(
            json.dumps({"action": "subscribe", "symbols": symbols, "replay": {"date": "2024-01-15", "speed": 10000}})
        )
        receive(slow, "subscribed")  # the connection is open in the server's hub by now
        [hub] = [h for h in _hubs.values() if not h.loop.is_closed()]
        deadline = time.monotonic() + 15
        peak = 0
        lagged = False
        while time.monotonic() < deadline and hub.connections:
            peak = max([peak, *(c.pending() for c in hub.connections)])
            lagged = lagged or any(c.lagging_since is not None for c in hub.connections)
            time.sleep(0.01)
        assert lagged, peak  # conflated first
        assert not hub.connections  # closed by the sweep, as a live client that stays behind
        assert peak <= 100 + len(symbols) + 1  # the bound: the queue, then one entry per symbol (+ status)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                slow.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4008
