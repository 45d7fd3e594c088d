"""`manage.py feed`: poll once, the push feed against the fake xtquant, its bounded buffer, its refusals."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cachemgr.keys import latest_quote_key
from cachemgr.services import cache_fetch
from marketdata.sources import get_source, reset_source
from streaming import get_store
from streaming.services.feed import LOCK, feed_poll
from streaming.services.feed_push import TickBuffer, feed_push_run
from streaming.store import Entry
from tests.support.processes import FAKES, production_env, running

pytestmark = [pytest.mark.usefixtures("stream", "instruments")]


def _fail() -> Any:
    raise AssertionError("the quote should be in the cache")


def _latest(*symbols: str) -> dict[str, Entry]:
    return asyncio.run(get_store().latest(list(symbols)))


def _wait_for(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture
def xtquant_source(settings: Any, reference_data: None, xtquant_fake: ModuleType) -> Iterator[ModuleType]:
    """ARGUS_DATA_SOURCE=xtquant against the fake xtdata (the calendar loaded first, from the default source)."""
    settings.ARGUS_DATA_SOURCE = {"BACKEND": "xtquant", "OPTIONS": {"host": "localhost", "port": 58610}}
    settings.ARGUS_FEED_INTERVAL = 0.1
    reset_source()
    yield xtquant_fake
    reset_source()


def test_poll_once_prints_what_the_poll_did(replay_source: None) -> None:
    symbol = sorted(info.symbol for info in get_source().instruments())[0]
    asyncio.run(get_store().touch([symbol]))
    out = io.StringIO()
    call_command("feed", "--once", stdout=out)
    printed = json.loads(out.getvalue())
    # The replay loops a session every 4 wall-clock hours; its last 3 minutes are the closing call.
    assert printed.pop("phase") in ("continuous", "closing_auction")
    assert printed == {
        "ran": True,
        "symbols": 1,
        "published": 1,
        "dropped": 0,
        "stale": 0,
    }
    assert _latest(symbol)[symbol].seq == 1
    store = get_store()
    token = store.try_lock(LOCK, ttl=30)
    assert token is not None
    out = io.StringIO()
    call_command("feed", "--once", stdout=out)
    assert json.loads(out.getvalue())["ran"] is False
    store.unlock(LOCK, token)


def test_push_needs_the_xtquant_source() -> None:
    with pytest.raises(CommandError, match="ARGUS_DATA_SOURCE=xtquant") as caught:
        call_command("feed", "--mode", "push")
    assert "'simulated'" in str(caught.value) and "--mode poll" in str(caught.value)
    with pytest.raises(CommandError, match="--once"):
        call_command("feed", "--mode", "push", "--once")


def test_a_feed_process_of_its_own_needs_redis(settings: Any) -> None:
    settings.USE_REDIS = False
    with pytest.raises(CommandError, match="REDIS_URL"):
        call_command("feed")


def test_push_feed_ingests_what_xtquant_pushes_while_polls_stand_aside(
    xtquant_source: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    fake = xtquant_source
    caplog.set_level(logging.INFO, logger="argus.feed")
    store = get_store()
    asyncio.run(store.touch(["000001.SZ", "600000.SH", "605999.SH"]))
    stop = threading.Event()
    feed = threading.Thread(target=feed_push_run, args=(stop,), daemon=True)
    feed.start()
    try:
        # The subscription's first push (the snapshot, from xtquant's thread) reaches the store.
        _wait_for(lambda: len(_latest("000001.SZ", "600000.SH", "605999.SH")) == 3, "the snapshot")
        assert [args for name, args, _ in fake.calls if name == "subscribe_whole_quote"] == [(["SH", "SZ", "BJ"],)]
        first = _latest("000001.SZ", "600000.SH")
        assert (first["000001.SZ"].seq, first["600000.SH"].seq) == (1, 1)
        assert first["000001.SZ"].quote["price"] == 11.7  # the fake's 11.700000000000001, rounded
        cached = cache_fetch("LATEST_DATA", latest_quote_key("600000.SH"), _fail).value
        assert cached["symbol"] == "600000.SH" and cached["name"] == "浦发银行"
        assert _latest("000001.SH") == {}  # pushed, but nobody watches it
        # Limit prices were fetched before subscribing, so the ST stock's push says it is at its limit.
        assert store.fingerprints(["605999.SH"])["605999.SH"].startswith("limit_up|")
        assert feed_poll().ran is False  # the push feed holds the poll's lock

        moved = {**fake.TICKS["000001.SZ"], "lastPrice": 11.72, "time": 1735628406000}
        fake.push({"000001.SZ": moved})
        _wait_for(lambda: _latest("000001.SZ")["000001.SZ"].seq == 2, "the second push")
        assert _latest("000001.SZ")["000001.SZ"].quote["price"] == 11.72
        time.sleep(0.3)  # a few intervals: the lock is renewed, so polls still stand aside
        assert feed_poll().ran is False
    finally:
        stop.set()
        feed.join(10)
    assert not feed.is_alive()
    assert fake.subscriptions == {}  # unsubscribed on the way out
    assert [name for name, _, _ in fake.calls].count("unsubscribe_quote") == 1
    token = store.try_lock(LOCK, ttl=1)  # and the lock is free again
    assert token is not None
    store.unlock(LOCK, token)
    assert "feed push: phase=" in caplog.text and "published=" in caplog.text


def test_push_buffer_keeps_the_latest_tick_per_symbol_within_its_bound(make_tick: Any) -> None:
    buffer = TickBuffer(capacity=2)
    assert buffer.take(timeout=0) == []
    buffer.put([make_tick("000001.SZ", 0), make_tick("000002.SZ", 0), make_tick("000001.SZ", 1)])
    buffer.put([make_tick("600000.SH", 0), make_tick("000002.SZ", 1)])  # a third symbol: no room
    taken = buffer.take(timeout=0)
    assert [(t.symbol, t.price) for t in taken] == [("000001.SZ", 10.01), ("000002.SZ", 10.01)]
    assert buffer.losses() == (2, 1)  # two replaced by newer ticks, one refused
    assert buffer.losses() == (0, 0)
    buffer.put(make_tick("600000.SH", step) for step in range(1000))
    assert [(t.symbol, t.price) for t in buffer.take(timeout=0)] == [("600000.SH", 19.99)]
    assert buffer.losses() == (999, 0)


def test_push_buffer_wakes_the_ingest_loop(make_tick: Any) -> None:
    buffer = TickBuffer(capacity=10)
    threading.Timer(0.05, buffer.put, args=([make_tick("000001.SZ", 0)],)).start()
    assert [t.symbol for t in buffer.take(timeout=10)] == ["000001.SZ"]


def test_push_command_as_a_process_of_its_own(services: None, reference_data: None, tmp_path: Path) -> None:
    """`manage.py feed --mode push` on the fake xtquant: ingests, keeps polls out, exits cleanly on SIGTERM."""
    store = get_store()
    asyncio.run(store.touch(["000001.SZ", "600000.SH"]))
    env = production_env(ARGUS_DATA_SOURCE="xtquant", PYTHONPATH=str(FAKES))
    with running(tmp_path) as processes:
        processes.start("feed", "manage.py", "feed", "--mode", "push", env=env)
        _wait_for(lambda: set(_latest("000001.SZ", "600000.SH")) == {"000001.SZ", "600000.SH"}, "the snapshot", 30)
        assert feed_poll().ran is False
        assert processes.stop("feed") == 0, processes.log("feed")
    assert "feed push: phase=" in processes.log("feed")
    token = store.try_lock(LOCK, ttl=1)
    assert token is not None
    store.unlock(LOCK, token)
