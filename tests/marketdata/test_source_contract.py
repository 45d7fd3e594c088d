"""Every backend through the real loader keeps the DataSource contract (xtquant joins with its fake)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from marketdata.calendar import db_calendar
from marketdata.sources import load_source
from marketdata.sources.base import Bar, DataSource, InstrumentInfo, SourceHealth, Tick
from marketdata.symbols import market_of, parse_symbol
from tests.support.paths import shared_data

SHARED = shared_data()
BACKENDS: dict[str, dict[str, Any]] = {
    "simulated": {"seed": 3, "universe_size": 60, "clock": "real"},
    "files": {},
    "xtquant": {"host": "127.0.0.1", "port": 58610, "user_id": ""},  # against tests/fakes/xtquant
}


@pytest.fixture(params=list(BACKENDS))
def source(request: pytest.FixtureRequest, calendar: None) -> DataSource:
    if request.param == "xtquant":
        request.getfixturevalue("xtquant_fake")
    if request.param == "files":
        call_command("import_bars", *sorted(str(p) for p in SHARED.glob("*.csv")))
    return load_source({"BACKEND": request.param, "OPTIONS": BACKENDS[request.param]})


@pytest.mark.django_db
def test_contract(source: DataSource) -> None:
    infos = source.instruments()
    assert infos and all(isinstance(i, InstrumentInfo) and parse_symbol(i.symbol).symbol == i.symbol for i in infos)
    symbol = "600000.SH"
    assert source.instrument(symbol) is not None

    ticks = source.latest_ticks([symbol, "999999.SZ"])
    assert list(ticks) == [symbol]
    tick = ticks[symbol]
    assert isinstance(tick, Tick) and tick.time.utcoffset() is not None and tick.time.utcoffset().total_seconds() == 0
    assert tick.low <= tick.price <= tick.high, tick
    assert isinstance(tick.volume, int) and tick.volume >= 0, tick
    if source.name == "simulated":  # the simulated market trades in board lots; real days include odd lots
        assert tick.volume % 100 == 0, tick
    assert round(tick.price, 2) == tick.price and tick.prev_close > 0
    if tick.bids and tick.asks:
        assert tick.asks[0].price > tick.bids[0].price

    start, end = date(2024, 1, 1), date(2024, 3, 31)
    daily = source.bars(symbol, period="1d", start=start, end=end)
    assert daily and all(isinstance(b, Bar) for b in daily)
    assert {b.trading_day for b in daily} <= set(db_calendar.trading_days(market_of(symbol), start, end))
    assert [b.time for b in daily] == sorted(b.time for b in daily)
    assert all(b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high for b in daily)
    months = source.bars(symbol, period="1mon", start=start, end=end)
    month_ends = [b.close for b, after in zip(daily, [*daily[1:], None], strict=True)
                  if after is None or after.trading_day.month != b.trading_day.month]  # fmt: skip
    assert [m.close for m in months] == month_ends
    trades = source.recent_trades(symbol, limit=5)
    assert len(trades) <= 5 and [t.time for t in trades] == sorted((t.time for t in trades), reverse=True)
    assert all(a.ex_date for a in source.corporate_actions(symbol))
    assert isinstance(source.health(), SourceHealth)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "needs a BACKEND"),
        ({"BACKEND": "nosuch"}, "unknown"),
        ({"BACKEND": "nosuch.module.Source"}, "cannot import"),
        ({"BACKEND": "marketdata.models.Bar"}, "not a DataSource"),
        ({"BACKEND": "simulated", "OPTIONS": {"universe_size": 0}}, "universe_size"),
        ({"BACKEND": "files", "OPTIONS": {"path": "/x"}}, "bad OPTIONS"),
    ],
)
def test_bad_configuration_is_explained(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        load_source(config)
