"""The xtquant source against the fake `xtquant.xtdata` (tests/fakes), built by the real loader."""

from __future__ import annotations

import csv
import inspect
import logging
import re
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from marketdata.sessions import shanghai
from marketdata.sources import load_source
from marketdata.sources.base import CorporateAction, Level, Tick, TickStatus, XtQuantUnavailable
from marketdata.sources.xtquant import XtQuantSource, convert

CONFIG = {"BACKEND": "xtquant", "OPTIONS": {"host": "localhost", "port": 58610, "user_id": ""}}
FAKE = Path(__file__).resolve().parent.parent / "fakes" / "xtquant"


def _source() -> XtQuantSource:
    source = load_source(CONFIG)
    assert isinstance(source, XtQuantSource)
    return source


@pytest.fixture
def xt(xtquant_fake: ModuleType) -> XtQuantSource:
    return _source()


def _daily_csv(code: str) -> dict[str, dict[str, str]]:
    with (FAKE / "bars_1d.csv").open() as handle:
        rows = [row for row in csv.DictReader(handle) if row["code"] == code]
    return {convert.day_from_ms(row["time"]).isoformat(): row for row in rows}


# --- conversions -----------------------------------------------------------------------------
def test_conversions() -> None:
    assert convert.price(11.370000000000001) == 11.37 and convert.price(11.369999999999999) == 11.37
    assert convert.price(float("nan")) == 0.0 and convert.price(None) == 0.0
    assert convert.shares(758613) == 75861300 and convert.shares(None) == 0
    assert convert.utc_from_ms(1704124800000) == datetime(2024, 1, 1, 16, 0, tzinfo=UTC)
    assert convert.day_from_ms(1704124800000) == date(2024, 1, 2)  # Beijing midnight of the trading day
    assert convert.utc_from_timetag("20231026 10:32:56.950") == datetime(2023, 10, 26, 2, 32, 56, 950000, tzinfo=UTC)
    assert convert.valid_symbol("110059.SH") is None and convert.valid_symbol("600000.sh") == "600000.SH"


# --- unavailable -----------------------------------------------------------------------------
def test_without_xtquant_the_loader_still_builds_and_health_explains() -> None:
    assert not any(name == "xtquant" or name.startswith("xtquant.") for name in sys.modules)
    source = _source()
    health = source.health()
    assert health.ok is False
    assert "not importable" in health.detail and "XTQUANT_HOST/XTQUANT_PORT" in health.detail
    assert "localhost:58610" in health.detail and "upstream" in health.detail
    with pytest.raises(XtQuantUnavailable, match="XTQUANT_HOST/XTQUANT_PORT") as caught:
        source.latest_ticks(["000001.SZ"])
    assert caught.value.error_code == "XTQUANT_ERROR"


def test_miniqmt_not_answering(xtquant_fake: ModuleType) -> None:
    source = _source()
    assert xtquant_fake.calls == []  # construction never connects
    xtquant_fake.FAIL_CONNECT = True
    health = source.health()
    assert health.ok is False
    assert health.detail.startswith("MiniQMT did not answer at localhost:58610 (XTQUANT_HOST/XTQUANT_PORT)")
    assert xtquant_fake.CONNECT_ERROR in health.detail
    with pytest.raises(XtQuantUnavailable, match="MiniQMT did not answer"):
        source.bars("000001.SZ", period="1d", start=date(2024, 1, 1), end=date(2024, 1, 5))
    assert xtquant_fake.connected_to == [["localhost:58610"]] * 2
    xtquant_fake.FAIL_CONNECT = False
    assert source.health().ok is True


def test_connects_once_silently_and_reconnects_after_a_loss(xt: XtQuantSource, xtquant_fake: ModuleType) -> None:
    assert xt.latest_ticks(["000001.SZ"]) and xt.latest_ticks(["600000.SH"])
    assert xtquant_fake.connected_to == [["localhost:58610"]] and xtquant_fake.hello_shown is False
    xtquant_fake.drop_connection()
    with pytest.raises(XtQuantUnavailable, match=r"xtdata\.get_full_tick failed against MiniQMT at localhost:58610"):
        xt.latest_ticks(["000001.SZ"])
    assert list(xt.latest_ticks(["000001.SZ"])) == ["000001.SZ"]
    assert len(xtquant_fake.connected_to) == 2


def test_health_probes_a_tick(xt: XtQuantSource, xtquant_fake: ModuleType) -> None:
    health = xt.health()
    assert health.ok is True and "000001.SZ" in health.detail and health.latency_ms >= 0
    assert health.extra == {"address": "localhost:58610"}
    assert ("get_full_tick", (["000001.SZ"],), {}) in xtquant_fake.calls


# --- reference data --------------------------------------------------------------------------
def test_instruments(xt: XtQuantSource) -> None:
    infos = {info.symbol: info for info in xt.instruments()}
    assert set(infos) == {"000001.SZ", "600000.SH", "605999.SH", "000001.SH"}  # the bonds are left out
    pingan = infos["000001.SZ"]
    assert (pingan.name, pingan.board, pingan.kind, pingan.list_date) == (
        "平安银行",
        "深圳主板",
        "stock",
        date(1991, 4, 3),
    )
    assert (pingan.total_shares, pingan.float_shares, pingan.is_st) == (19405918198, 19405546950, False)
    assert infos["605999.SH"].is_st is True and infos["000001.SH"].kind == "index"
    assert infos["000001.SH"].total_shares is None  # an index has no share count: null, not 0


def test_instrument_and_unknown_symbols(xt: XtQuantSource) -> None:
    info = xt.instrument("600000.SH")
    assert info is not None and info.name == "浦发银行" and info.board == "上海主板"
    assert xt.instrument("000002.SZ") is None  # valid, but MiniQMT does not know it
    assert xt.instrument("999999.SZ") is None  # not a symbol at all


def test_trading_dates(xt: XtQuantSource) -> None:
    days = xt.trading_dates("SH", date(2024, 2, 1), date(2024, 2, 29))
    assert len(days) == 15 and days[0] == date(2024, 2, 1) and days[-1] == date(2024, 2, 29)
    assert not [d for d in days if date(2024, 2, 9) <= d <= date(2024, 2, 16)]


# --- ticks -----------------------------------------------------------------------------------
def test_latest_ticks(xt: XtQuantSource) -> None:
    ticks = xt.latest_ticks(["000001.SZ", "600000.SH", "000002.SZ", "999999.SZ"])
    assert list(ticks) == ["000001.SZ", "600000.SH"]
    tick = ticks["000001.SZ"]
    assert tick.time == datetime(2024, 12, 31, 7, 0, 3, tzinfo=UTC) and tick.trading_day == date(2024, 12, 31)
    assert (tick.price, tick.prev_close, tick.open, tick.high, tick.low) == (11.70, 11.95, 11.93, 11.99, 11.70)
    assert tick.volume == 147536700 and tick.turnover == 1745359551.39
    assert tick.bids[0] == Level(11.70, 242900) and tick.asks[0] == Level(11.71, 1092900)
    assert [level.price for level in tick.asks] == [11.71, 11.72, 11.73, 11.74, 11.75]
    assert (tick.limit_up, tick.limit_down, tick.status) == (13.15, 10.76, TickStatus.TRADING)


def test_limit_prices_are_fetched_once_a_day_in_one_call(xt: XtQuantSource, xtquant_fake: ModuleType) -> None:
    for _ in range(3):
        xt.latest_ticks(["000001.SZ", "600000.SH", "605999.SH"])
    fetches = [args for name, args, _ in xtquant_fake.calls if name.startswith("get_instrument_detail")]
    assert fetches == [(["000001.SZ", "600000.SH", "605999.SH"],)]


def test_limit_up_st_and_index_ticks(xt: XtQuantSource) -> None:
    ticks = xt.latest_ticks(["605999.SH", "000001.SH"])
    st = ticks["605999.SH"]
    assert (st.status, st.limit_up, st.limit_down, st.asks) == (TickStatus.LIMIT_UP, 2.1, 1.9, ())
    index = ticks["000001.SH"]
    assert (index.price, index.bids, index.asks, index.limit_up) == (3351.76, (), (), None)


def test_timetag_form_and_stale_limits(xt: XtQuantSource, xtquant_fake: ModuleType) -> None:
    raw = xtquant_fake.TICKS["000001.SZ"]
    del raw["time"]
    raw["timetag"] = "20241231 14:59:58.500"
    xtquant_fake.DETAILS["000001.SZ"]["PreClose"] = 11.0  # a detail of another day: its limits do not apply
    tick = xt.latest_ticks(["000001.SZ"])["000001.SZ"]
    assert tick.time == datetime(2024, 12, 31, 6, 59, 58, 500000, tzinfo=UTC)
    assert tick.limit_up is None and tick.limit_down is None


def test_recent_trades_are_not_published_at_level_1(xt: XtQuantSource) -> None:
    assert xt.recent_trades("000001.SZ", limit=5) == []


# --- bars ------------------------------------------------------------------------------------
def test_daily_bars(xt: XtQuantSource, xtquant_fake: ModuleType) -> None:
    bars = xt.bars("000001.SZ", period="1d", start=date(2024, 1, 1), end=date(2024, 1, 5))
    assert [b.trading_day for b in bars] == [date(2024, 1, d) for d in (2, 3, 4, 5)]
    assert all(shanghai(b.time).hour == 15 and shanghai(b.time).date() == b.trading_day for b in bars)
    assert bars[0].time == datetime(2024, 1, 2, 7, 0, tzinfo=UTC)
    row = _daily_csv("000001.SZ")["2024-01-02"]
    assert (bars[0].open, bars[0].close, bars[0].volume) == (
        float(row["open"]),
        float(row["close"]),
        int(row["volume"]) * 100,
    )
    assert bars[0].turnover == float(row["amount"])
    names = [name for name, *_ in xtquant_fake.calls]
    assert names.index("download_history_data") < names.index("get_market_data_ex")
    fetch = next(kwargs for name, _, kwargs in xtquant_fake.calls if name == "get_market_data_ex")
    assert fetch["dividend_type"] == "none" and fetch["start_time"] == "20240101000000"


def test_weeks_and_months_aggregate_days(xt: XtQuantSource) -> None:
    days = xt.bars("600000.SH", period="1d", start=date(2024, 1, 1), end=date(2024, 3, 31))
    months = xt.bars("600000.SH", period="1mon", start=date(2024, 1, 1), end=date(2024, 3, 31))
    assert [m.trading_day for m in months] == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 29)]
    assert months[0].volume == sum(d.volume for d in days if d.trading_day.month == 1)
    weeks = xt.bars("600000.SH", period="1w", start=date(2024, 1, 3), end=date(2024, 1, 12))
    assert [w.trading_day for w in weeks] == [date(2024, 1, 5), date(2024, 1, 12)]
    assert weeks[0].open == days[0].open  # the partial first week is completed from before start


def test_minute_bars_fold_the_auction_and_add_up_to_the_day(xt: XtQuantSource) -> None:
    day = date(2024, 12, 31)
    minutes = xt.bars("000001.SZ", period="1m", start=day, end=day)
    daily = xt.bars("000001.SZ", period="1d", start=day, end=day)[0]
    assert len(minutes) == 240
    assert shanghai(minutes[0].time).time().isoformat() == "09:31:00" and minutes[-1].time == daily.time
    assert sum(b.volume for b in minutes) == daily.volume and minutes[0].open == daily.open
    assert max(b.high for b in minutes) == daily.high and min(b.low for b in minutes) == daily.low
    hours = xt.bars("000001.SZ", period="1h", start=day, end=day)
    assert [shanghai(b.time).strftime("%H:%M") for b in hours] == ["10:30", "11:30", "14:00", "15:00"]
    assert sum(b.volume for b in hours) == daily.volume


def test_unknown_symbols_and_periods(xt: XtQuantSource) -> None:
    assert xt.bars("000002.SZ", period="1d", start=date(2024, 1, 1), end=date(2024, 1, 31)) == []
    assert xt.bars("bad", period="1d", start=date(2024, 1, 1), end=date(2024, 1, 31)) == []
    with pytest.raises(ValueError, match="period"):
        xt.bars("000001.SZ", period="2d", start=date(2024, 1, 1), end=date(2024, 1, 31))
    assert xt.latest_ticks(["000002.SZ"]) == {} and xt.corporate_actions("000002.SZ") == []


def test_corporate_actions(xt: XtQuantSource) -> None:
    assert xt.corporate_actions("000001.SZ") == [
        CorporateAction("000001.SZ", date(2023, 6, 14), 0.285, 0.0),
        CorporateAction("000001.SZ", date(2024, 6, 14), 0.719, 0.0),
        CorporateAction("000001.SZ", date(2024, 10, 10), 0.246, 0.0),
    ]
    assert [a.ex_date for a in xt.corporate_actions("600000.SH")] == [
        date(2023, 7, 21),
        date(2024, 7, 19),
    ]  # no rights issue
    assert xt.corporate_actions("605999.SH") == [CorporateAction("605999.SH", date(2024, 5, 20), 0.05, 0.3)]


# --- subscriptions ---------------------------------------------------------------------------
class _Collector:
    def __init__(self) -> None:
        self.batches: list[list[Tick]] = []
        self.arrived = threading.Event()

    def __call__(self, ticks: list[Tick]) -> None:
        self.batches.append(ticks)
        self.arrived.set()


def test_subscribe_and_unsubscribe(xt: XtQuantSource, xtquant_fake: ModuleType) -> None:
    collector = _Collector()
    handle = xt.subscribe(collector)
    assert collector.arrived.wait(5)  # the first push is the snapshot, from xtquant's thread
    assert {t.symbol for t in collector.batches[0]} == {"000001.SZ", "600000.SH", "605999.SH", "000001.SH"}
    assert xtquant_fake.subscriptions[handle.seq][0] == ["SH", "SZ", "BJ"]
    moved = {**xtquant_fake.TICKS["000001.SZ"], "lastPrice": 11.720000000000001, "time": 1735628406000}
    xtquant_fake.push({"000001.SZ": moved, "110059.SH": {**moved}})  # the bond is not ours
    [tick] = collector.batches[-1]
    assert (tick.symbol, tick.price, tick.time) == ("000001.SZ", 11.72, datetime(2024, 12, 31, 7, 0, 6, tzinfo=UTC))
    handle.close()
    handle.close()
    assert xtquant_fake.subscriptions == {}
    assert [args for name, args, _ in xtquant_fake.calls if name == "unsubscribe_quote"] == [(handle.seq,)]
    count = len(collector.batches)
    xtquant_fake.push()
    assert len(collector.batches) == count


def test_subscribe_to_symbols_and_failures(
    xt: XtQuantSource, xtquant_fake: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(ticks: list[Tick]) -> None:
        raise RuntimeError("consumer bug")

    handle = xt.subscribe(broken, ["000001.SZ", "nonsense"])
    assert xtquant_fake.subscriptions[handle.seq][0] == ["000001.SZ"]
    with caplog.at_level(logging.ERROR, logger="argus.marketdata"):
        xtquant_fake.push()  # the callback's error is logged, not raised into xtquant
    assert "xtquant tick callback failed" in caplog.text
    handle.close()
    collector = _Collector()
    with xt.subscribe(collector, ["605999.SH"]) as handle:
        assert collector.arrived.wait(5)
    [tick] = collector.batches[0]
    assert (tick.status, tick.limit_up) == (TickStatus.LIMIT_UP, 2.1)  # limits fetched at subscribe time
    assert xtquant_fake.subscriptions == {}
    xtquant_fake.SUBSCRIBE_REFUSED = True
    with pytest.raises(XtQuantUnavailable, match="refused"):
        xt.subscribe(broken)


# --- the fake itself -------------------------------------------------------------------------
def test_fake_keeps_the_real_signatures(xtquant_fake: ModuleType) -> None:
    text = (FAKE / "SIGNATURES.txt").read_text()
    definitions = re.findall(r"^(def (\w+)\(.*\):)$", text, flags=re.MULTILINE)
    assert len(definitions) > 40
    for line, name in definitions:
        namespace: dict[str, Any] = {}
        exec(f"{line} pass", namespace)
        assert inspect.signature(getattr(xtquant_fake, name)) == inspect.signature(namespace[name]), name


@pytest.mark.django_db
def test_health_report_names_the_settings_on_linux(use_source: Any) -> None:
    from monitoring.services.health import health_report

    use_source("xtquant", host="127.0.0.1", port=58610)
    body, status = health_report()
    assert body["services"]["xtquant"] == "unhealthy" and body["status"] == "degraded" and status == 200
    assert "XTQUANT_HOST/XTQUANT_PORT" in body["details"]["xtquant"]["detail"]
    assert "127.0.0.1:58610" in body["details"]["xtquant"]["detail"]


@pytest.mark.django_db
def test_a_hung_miniqmt_answers_504_timeout_within_the_deadline(
    calendar: None, use_source: Any, xtquant_fake: ModuleType
) -> None:
    """A call past XTQUANT_TIMEOUT is the spec's TIMEOUT (504), in time, naming the setting; not a hung request."""
    import time

    from django.test import Client

    from marketdata.selectors.common import directory
    from marketdata.services.instruments import instruments_sync

    use_source("xtquant", host="127.0.0.1", port=58610, timeout=0.3)
    instruments_sync()  # the real source's own rows (the simulated market's are not served as its)
    directory.invalidate()
    xtquant_fake.HANG_SECONDS = 5.0
    try:
        started = time.monotonic()
        response = Client().get("/api/v1/market_data/latest", {"symbols": "000001.SZ", "use_cache": "false"})
        took = time.monotonic() - started
    finally:
        xtquant_fake.RELEASE.set()  # the hung call's thread ends now, not in 5 s
    body = response.json()
    assert response.status_code == 504, body
    assert body["success"] is False and body["error"]["code"] == "TIMEOUT"
    assert "XTQUANT_TIMEOUT" in str(body["error"]["details"])
    assert took < 2.0
