"""When the feed stops, subscribers are told by the web process itself (the feed that died says nothing).

Regression: with Celery beat, the worker or the feed process gone, subscribers got no pushes and no
word: the stale marks came only from the feed's own poll. Here no feed runs at all; the test plays
the feed's part (a market status in a trading phase, then ticks) and then falls silent.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from streaming import get_store
from streaming.services.ticks import market_status_publish, ticks_ingest

ORIGIN = "http://localhost"


def frames_until(ws: ClientConnection, predicate: Any, seconds: float) -> list[dict[str, Any]]:
    """Every frame received until one satisfies `predicate` (that one last), within `seconds`."""
    deadline = time.monotonic() + seconds
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        try:
            frame = json.loads(ws.recv(timeout=max(0.05, deadline - time.monotonic())))
        except TimeoutError:
            break
        seen.append(frame)
        if predicate(frame):
            return seen
    raise AssertionError(f"no matching frame within {seconds} s; got {seen}")


def is_state(symbol: str, state: str) -> Any:
    return lambda f: f["type"] == "status" and f["data"].get("symbol") == symbol and f["data"].get("state") == state


@pytest.fixture
def fast_feed(settings: Any) -> float:
    settings.ARGUS_FEED_INTERVAL = 0.2
    settings.ARGUS_FEED_STALE_INTERVALS = 2
    return (2 + 1) * 0.2  # the hub's stale window: the feed's rule plus one interval


def market_phase(phase: str) -> None:
    """What the feed does on a phase change: keep the status for new subscribers' acks, and publish it."""
    status = {"market_phase": phase, "trading_day": "2024-01-15", "simulated": False}
    get_store().swap("market", json.dumps(status))
    market_status_publish(status)


def test_a_silent_feed_is_reported_stale_by_the_web_process_then_fresh(
    live_ws: str, make_tick: Any, fast_feed: float
) -> None:
    market_phase("continuous")
    ticks_ingest([make_tick("000001.SZ", 0)])
    with connect(live_ws, origin=ORIGIN) as ws:
        ws.send(json.dumps({"action": "subscribe", "symbols": ["000001.SZ"], "fields": ["price"]}))
        frames_until(ws, lambda f: f["type"] == "snapshot", 10)
        ticks_ingest([make_tick("000001.SZ", 1)])
        frames_until(ws, lambda f: f["type"] == "market_data", 10)
        silent_from = time.monotonic()
        stale = frames_until(ws, is_state("000001.SZ", "stale"), fast_feed + 5)[-1]["data"]
        waited = time.monotonic() - silent_from
        assert fast_feed - 0.1 <= waited <= fast_feed + 3, waited
        assert stale["age_seconds"] is not None and stale["age_seconds"] >= fast_feed - 0.1
        assert "feed may be down" in stale["detail"]

        # A second subscriber meanwhile: its snapshot says the value is stale, and how old.
        with connect(live_ws, origin=ORIGIN) as late:
            late.send(json.dumps({"action": "subscribe", "symbols": ["000001.SZ"], "fields": ["price"]}))
            snapshot = frames_until(late, lambda f: f["type"] == "snapshot", 10)[-1]["data"]
            assert snapshot[0]["stale"] is True and snapshot[0]["age_seconds"] >= fast_feed - 0.1

        # The feed is back: the next push clears it, told once.
        ticks_ingest([make_tick("000001.SZ", 2)])
        seen = frames_until(ws, is_state("000001.SZ", "fresh"), 10)
        assert [f["type"] for f in seen].count("status") == 1


def test_outside_trading_phases_silence_is_not_stale(live_ws: str, make_tick: Any, fast_feed: float) -> None:
    market_phase("lunch_break")
    ticks_ingest([make_tick("600000.SH", 0)])
    with connect(live_ws, origin=ORIGIN) as ws:
        ws.send(json.dumps({"action": "subscribe", "symbols": ["600000.SH"]}))
        frames_until(ws, lambda f: f["type"] == "snapshot", 10)
        with pytest.raises(AssertionError, match="no matching frame"):
            frames_until(ws, is_state("600000.SH", "stale"), fast_feed * 3)
