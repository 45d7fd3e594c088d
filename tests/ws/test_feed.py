"""The feed poll and ingest: unchanged ticks dropped, contiguous seq, lock, stale marking and clearing."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from cachemgr.keys import latest_quote_key
from cachemgr.services import cache_fetch
from core import clock
from streaming import get_store
from streaming.services.feed import LOCK, feed_poll, feed_status
from streaming.services.ticks import ticks_ingest

pytestmark = [pytest.mark.usefixtures("stream", "instruments")]


def _fail() -> Any:
    raise AssertionError("the quote should be in the cache")


def test_ingest_drops_unchanged_ticks_and_numbers_each_day_contiguously(make_tick: Any) -> None:
    from datetime import date

    first = ticks_ingest([make_tick("000001.SZ", 0), make_tick("000001.SZ", 1), make_tick("000001.SZ", 1)])
    assert (first.published, first.dropped, first.seqs) == (2, 1, {"000001.SZ": 2})
    again = ticks_ingest([make_tick("000001.SZ", 1), make_tick("000002.SZ", 0)])
    assert (again.published, again.dropped, again.seqs) == (1, 1, {"000002.SZ": 1})
    assert ticks_ingest([make_tick("000001.SZ", 2)]).seqs == {"000001.SZ": 3}
    next_day = ticks_ingest([make_tick("000001.SZ", 0, day=date(2024, 1, 16))])
    assert next_day.seqs == {"000001.SZ": 1}
    cached = cache_fetch("LATEST_DATA", latest_quote_key("000001.SZ"), _fail).value
    assert cached["symbol"] == "000001.SZ" and cached["name"] == "平安银行"
    assert cached["timestamp"] == "2024-01-16T01:30:00.000Z"


def test_poll_ingests_wanted_symbols_once_per_snapshot(replay_source: None) -> None:
    from marketdata.sources import get_source

    symbol = sorted(info.symbol for info in get_source().instruments())[0]
    asyncio.run(get_store().touch([symbol]))
    result = feed_poll()
    # The replay loops a session every 4 wall-clock hours; its last 3 minutes are the closing call.
    assert result.ran and result.phase in ("continuous", "closing_auction")
    assert (result.symbols, result.published) == (1, 1)
    assert feed_poll().published in (0, 1)  # the same 3-second snapshot again is dropped
    quote = cache_fetch("LATEST_DATA", latest_quote_key(symbol), _fail).value
    assert quote["symbol"] == symbol


def test_poll_reports_itself_to_health(replay_source: None, client: Any) -> None:
    feed_poll()
    body = client.get("/health").json()
    assert body["details"]["feed"]["status"] == "healthy"
    assert "last poll" in body["details"]["feed"]["detail"]


def test_only_one_poll_at_a_time(replay_source: None) -> None:
    store = get_store()
    token = store.try_lock(LOCK, ttl=30)
    assert token is not None
    assert feed_poll().ran is False
    store.unlock(LOCK, token)
    assert feed_poll().ran is True


def test_a_lock_is_extended_only_by_its_holder() -> None:
    store = get_store()
    token = store.try_lock(LOCK, ttl=0.2)
    assert token is not None
    assert store.extend_lock(LOCK, token, ttl=30) is True
    time.sleep(0.3)  # past the first ttl: the extension keeps it
    assert store.try_lock(LOCK, ttl=30) is None
    assert store.extend_lock(LOCK, "not-the-token", ttl=30) is False
    store.unlock(LOCK, token)
    assert store.extend_lock(LOCK, token, ttl=30) is False  # released: nothing to extend
    short = store.try_lock(LOCK, ttl=0.1)
    assert short is not None
    time.sleep(0.2)
    assert store.extend_lock(LOCK, short, ttl=30) is False  # expired: no longer ours
    other = store.try_lock(LOCK, ttl=30)
    assert other is not None and store.extend_lock(LOCK, short, ttl=30) is False
    store.unlock(LOCK, other)


def test_stale_is_marked_and_clears_when_data_flows(
    replay_source: None, settings: Any, make_tick: Any, market_clock: Any
) -> None:
    from marketdata.models import Instrument
    from marketdata.sources import get_source

    known = {info.symbol for info in get_source().instruments()}
    silent = next(f"6{n:05d}.SH" for n in range(1000, 99999) if f"6{n:05d}.SH" not in known)
    Instrument.objects.create(symbol=silent, name="无行情", market="SH", board="上海主板", source="test")
    settings.ARGUS_FEED_INTERVAL = 0.1
    asyncio.run(get_store().touch([silent]))  # the source never answers for it
    frozen = market_clock(clock.now())
    feed_poll()
    frozen.advance(0.3)  # three intervals on the one clock, without sleeping
    assert feed_poll().stale == 1
    assert feed_status() == {"stale": True, "stale_symbols": [silent], "stale_count": 1}
    ticks_ingest([make_tick(silent, 0)])
    assert feed_poll().stale == 0
    assert feed_status()["stale"] is False
