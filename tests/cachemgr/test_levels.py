"""cache_fetch / cache_store through the levels each rule names."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from cachemgr.keys import cache_entry_key, history_key, instrument_info_key, latest_quote_key
from cachemgr.services import cache_fetch, cache_store, rule_update, state
from cachemgr.services.memory import Entry, MemoryCache, measure

pytestmark = pytest.mark.django_db


class Loader:
    def __init__(self, value: object) -> None:
        self.value = value
        self.calls = 0

    def __call__(self) -> object:
        self.calls += 1
        return self.value


def test_latest_data_misses_then_hits_l1_with_its_age() -> None:
    load = Loader({"price": 10.5})
    first = cache_fetch("LATEST_DATA", latest_quote_key("000001.SZ"), load)
    second = cache_fetch("LATEST_DATA", latest_quote_key("000001.SZ"), load)
    assert (first.hit, first.level, first.age_seconds) == (False, None, None)
    assert (second.hit, second.level, second.value) == (True, "L1", {"price": 10.5})
    assert second.age_seconds is not None and 0 <= second.age_seconds < 30
    assert load.calls == 1
    # L1 rules are shared through L2 too, so other processes (and the feed) see them.
    assert caches["default"].get(cache_entry_key("LATEST_DATA", latest_quote_key("000001.SZ")))[1] == {"price": 10.5}


def test_history_lives_in_l2_and_basic_info_survives_in_l3() -> None:
    key = history_key("000001.SZ", "1d", "2024-01-01", "2024-01-31")
    cache_fetch("HISTORY_DATA", key, Loader([1, 2]))
    assert cache_fetch("HISTORY_DATA", key, Loader([9])).level == "L2"
    assert state.l1.figures()["keys"] == 0

    info = instrument_info_key("000001.SZ")
    cache_fetch("BASIC_INFO", info, Loader({"name": "平安银行"}))
    caches["default"].delete(cache_entry_key("BASIC_INFO", info))  # as after a Redis restart
    found = cache_fetch("BASIC_INFO", info, Loader({"name": "wrong"}))
    assert (found.level, found.value) == ("L3", {"name": "平安银行"})
    assert cache_fetch("BASIC_INFO", info, Loader({"name": "wrong"})).level == "L2"  # L3 hit refilled L2


def test_use_cache_false_reloads_and_refreshes() -> None:
    key = latest_quote_key("600000.SH")
    cache_fetch("LATEST_DATA", key, Loader({"price": 1}))
    fresh = cache_fetch("LATEST_DATA", key, Loader({"price": 2}), use_cache=False)
    assert (fresh.hit, fresh.value) == (False, {"price": 2})
    assert cache_fetch("LATEST_DATA", key, Loader({"price": 3})).value == {"price": 2}


def test_write_through_replaces_the_quote() -> None:
    key = latest_quote_key("000002.SZ")
    cache_store("LATEST_DATA", key, {"price": 7.0})
    cache_store("LATEST_DATA", key, {"price": 7.1})
    result = cache_fetch("LATEST_DATA", key, Loader({"price": 0}))
    assert (result.hit, result.value) == (True, {"price": 7.1})


def test_a_shorter_ttl_applies_at_once() -> None:
    key = latest_quote_key("000001.SZ")
    cache_fetch("LATEST_DATA", key, Loader({"price": 1}))
    rule_update("LATEST_DATA", {"ttl": 5, "min_ttl": 1})
    state.l1.get("LATEST_DATA", key).stored_at -= 6  # type: ignore[union-attr]
    stored = caches["default"].get(cache_entry_key("LATEST_DATA", key))
    caches["default"].set(cache_entry_key("LATEST_DATA", key), (stored[0] - 6, stored[1]))
    assert cache_fetch("LATEST_DATA", key, Loader({"price": 2})).value == {"price": 2}


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown cache rule"):
        cache_fetch("NOPE", "k", Loader(1))


def _entry(key: str, value: object, now: float) -> Entry:
    return Entry(value, now, now, measure(key, value), now)


def test_l1_never_exceeds_its_byte_bound() -> None:
    memory = MemoryCache(max_entries=10_000, max_bytes=50_000)
    value = "x" * 1000
    for index in range(500):  # ~10x the bound
        key = f"k{index}"
        memory.put("HISTORY_DATA", key, _entry(key, value, float(index)), priority="medium", max_size=10_000)
        assert memory.figures()["bytes"] <= 50_000
    figures = memory.figures()
    assert 40 <= figures["keys"] <= 50
    assert memory.get("HISTORY_DATA", "k499") is not None and memory.get("HISTORY_DATA", "k0") is None
    assert not memory.put("HISTORY_DATA", "huge", _entry("huge", "y" * 60_000, 0.0), priority="low", max_size=10)


def test_l1_bounds_entries_and_evicts_low_priority_first() -> None:
    memory = MemoryCache(max_entries=10, max_bytes=10_000_000)
    for index in range(6):
        memory.put("LATEST_DATA", f"q{index}", _entry(f"q{index}", index, 100.0 + index), priority="high", max_size=100)
    for index in range(4):
        memory.put("BASIC_INFO", f"i{index}", _entry(f"i{index}", index, 1.0 + index), priority="low", max_size=100)
    for index in range(4):  # four more high-priority entries push out the low ones, oldest first
        key = f"q{index + 6}"
        memory.put("LATEST_DATA", key, _entry(key, index, 200.0 + index), priority="high", max_size=100)
    figures = memory.figures()
    assert figures["keys"] == 10
    assert figures["rules"]["LATEST_DATA"]["keys"] == 10
    assert figures["rules"]["BASIC_INFO"]["keys"] == 0


def test_l1_respects_a_rules_max_size_through_cache_fetch() -> None:
    rule_update("LATEST_DATA", {"max_size": 3})
    for index in range(10):
        cache_fetch("LATEST_DATA", latest_quote_key(f"60000{index}.SH"), Loader(index))
    assert state.l1.figures()["rules"]["LATEST_DATA"]["keys"] == 3
