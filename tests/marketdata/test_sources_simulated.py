"""The simulated source: deterministic, A-share rules, ticks/trades/bars consistent with each other."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from marketdata.calendar import db_calendar
from marketdata.sessions import SHANGHAI, shanghai
from marketdata.sources import load_source
from marketdata.sources.aggregate import aggregate_days
from marketdata.sources.base import PERIODS, DataSource, TickStatus
from marketdata.sources.simulated import SimulatedSource

DAY = date(2024, 6, 12)


def at(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=SHANGHAI).astimezone(UTC)


def simulated(**options: object) -> SimulatedSource:
    source = load_source({"BACKEND": "simulated", "OPTIONS": {"seed": 7, "universe_size": 120, **options}})
    assert isinstance(source, SimulatedSource)
    return source


def stocks(source: DataSource) -> list[str]:
    return [info.symbol for info in source.instruments() if info.kind == "stock"]


def test_universe_has_the_specs_names_and_every_board(sim: SimulatedSource) -> None:
    infos = {info.symbol: info for info in sim.instruments()}
    assert len(infos) == 120
    ping_an = infos["000001.SZ"]
    assert (ping_an.name, ping_an.industry, ping_an.sector) == ("平安银行", "银行", "金融业")
    assert ping_an.list_date == date(1991, 4, 3)
    assert (ping_an.total_shares, ping_an.float_shares) == (19405918198, 19405546950)
    assert infos["399001.SZ"].name == "深证成指" and infos["399001.SZ"].kind == "index"
    assert {"000002.SZ", "000858.SZ", "600000.SH", "600519.SH", "000001.SH", "000300.SH"} <= set(infos)
    assert {info.board for info in infos.values()} == {"上海主板", "深圳主板", "创业板", "科创板", "北交所"}
    assert all(i.pe_ratio is None and i.pb_ratio is None and i.dividend_yield is None for i in infos.values())
    assert sim.simulated and sim.name == "simulated"


def test_same_seed_same_market_other_seed_other_market(calendar: None) -> None:
    moment = at(DAY, 10, 0, 7)
    first, second = simulated(), simulated()
    symbols = stocks(first)[:30]
    assert first.ticks_at(symbols, moment) == second.ticks_at(symbols, moment)
    assert first.bars("600519.SH", period="1d", start=date(2024, 1, 1), end=DAY) == second.bars(
        "600519.SH", period="1d", start=date(2024, 1, 1), end=DAY
    )
    other = simulated(seed=8).ticks_at(["600519.SH"], moment)["600519.SH"]
    assert other.price != first.ticks_at(["600519.SH"], moment)["600519.SH"].price
    assert [i.symbol for i in simulated(seed=8).instruments()] != [i.symbol for i in first.instruments()]


def test_daily_bar_is_the_aggregate_of_its_minutes(sim: SimulatedSource) -> None:
    for symbol in ("000001.SZ", "600519.SH", "000300.SH", stocks(sim)[-1]):
        minutes = sim.bars(symbol, period="1m", start=DAY, end=DAY)
        (daily,) = sim.bars(symbol, period="1d", start=DAY, end=DAY)
        assert len(minutes) == 240
        assert daily.open == minutes[0].open and daily.close == minutes[-1].close
        assert daily.high == max(b.high for b in minutes) and daily.low == min(b.low for b in minutes)
        assert daily.volume == sum(b.volume for b in minutes)
        assert daily.turnover == pytest.approx(sum(b.turnover or 0 for b in minutes), abs=0.05)
        for period, size in (("5m", 5), ("15m", 15), ("30m", 30), ("1h", 60)):
            bars = sim.bars(symbol, period=period, start=DAY, end=DAY)
            assert len(bars) == 240 // size
            assert [b.time for b in bars] == [minutes[i + size - 1].time for i in range(0, 240, size)]
            assert sum(b.volume for b in bars) == daily.volume


def test_every_period_and_only_trading_days(sim: SimulatedSource) -> None:
    start, end = date(2024, 1, 1), date(2024, 12, 31)
    days = set(db_calendar.trading_days("SZ", start, end))
    daily = sim.bars("000001.SZ", period="1d", start=start, end=end)
    assert daily and {b.trading_day for b in daily} <= days
    assert [b.time for b in daily] == sorted(b.time for b in daily)
    assert all(shanghai(b.time).time() == time(15, 0) for b in daily)
    assert sim.bars("000001.SZ", period="1w", start=start, end=end) == aggregate_days(daily, "1w")
    months = sim.bars("000001.SZ", period="1mon", start=start, end=end)
    assert len(months) == 12 and months[-1].close == daily[-1].close
    for period in PERIODS:
        assert sim.bars("000001.SZ", period=period, start=date(2024, 10, 1), end=date(2024, 10, 7)) == []
    with pytest.raises(ValueError, match="period"):
        sim.bars("000001.SZ", period="2m", start=start, end=end)
    assert sim.bars("999999.SZ", period="1d", start=start, end=end) == []


def test_limits_continuity_and_ex_rights(sim: SimulatedSource) -> None:
    start, end = date(2022, 1, 1), date(2024, 12, 31)
    statuses = set()
    for symbol in stocks(sim)[:60]:
        profile = sim.profiles[symbol]
        ratio = float(profile.ratio or 0)
        actions = {a.ex_date: a for a in sim.corporate_actions(symbol)}
        previous = None
        for day in db_calendar.trading_days(profile.market, start, end):
            prices = sim.day_prices(profile, day)
            if prices is None:
                continue
            if previous is not None:
                action = actions.get(day)
                cash = round(action.cash_dividend * 100) if action else 0
                expected = round((previous - cash) / (1 + action.share_ratio)) if action else previous
                assert prices.prev == expected, (symbol, day)
            low, high = round(prices.prev * (1 - ratio)), round(prices.prev * (1 + ratio))
            assert abs(prices.low_limit - low) <= 1 and abs(prices.high_limit - high) <= 1
            assert prices.low_limit <= prices.close <= prices.high_limit, (symbol, day)
            statuses.add("suspended" if prices.suspended else "up" if prices.close == prices.high_limit else
                         "down" if prices.close == prices.low_limit else "normal")  # fmt: skip
            previous = prices.close
    assert statuses == {"normal", "up", "down", "suspended"}


def test_corporate_actions_move_the_price_reference(sim: SimulatedSource) -> None:
    found = [(s, a) for s in stocks(sim)[:40] for a in sim.corporate_actions(s) if date(2015, 1, 1) <= a.ex_date]
    assert found
    symbol, action = next((s, a) for s, a in found if sim.bars(s, period="1d", start=a.ex_date, end=a.ex_date))
    assert action.cash_dividend >= 0 and action.share_ratio >= 0 and (action.cash_dividend or action.share_ratio)
    before = sim.bars(symbol, period="1d", start=action.ex_date - timedelta(days=15), end=action.ex_date)
    tick = sim.ticks_at([symbol], at(action.ex_date, 15, 30))[symbol]
    expected = round((before[-2].close - action.cash_dividend) / (1 + action.share_ratio), 2)
    assert before[-1].trading_day == action.ex_date and tick.prev_close == pytest.approx(expected, abs=0.011)


def test_tick_carries_the_running_day_and_a_consistent_book(sim: SimulatedSource) -> None:
    moment = at(DAY, 10, 0, 7)
    ticks = sim.ticks_at(stocks(sim), moment)
    assert ticks
    for symbol, tick in ticks.items():
        minutes = sim.bars(symbol, period="1m", start=DAY, end=DAY)[:30]  # 09:31 ... 10:00
        assert tick.trading_day == DAY and tick.time == at(DAY, 10, 0, 6)
        if tick.status == TickStatus.SUSPENDED:
            assert tick.volume == 0 and not minutes
            continue
        assert tick.open == minutes[0].open
        assert tick.high >= max(b.high for b in minutes) and tick.low <= min(b.low for b in minutes)
        assert tick.low <= tick.price <= tick.high
        assert sum(b.volume for b in minutes) < tick.volume
        assert tick.volume % 100 == 0 and tick.turnover > 0
        assert tick.limit_down <= tick.price <= tick.limit_up
        bids, asks = tick.bids, tick.asks
        if tick.status == TickStatus.TRADING and tick.limit_down + 0.1 < tick.price < tick.limit_up - 0.1:
            assert len(bids) >= 5 and len(asks) >= 5
            # The last trade was at the ask (a buy) or at the bid; the spread follows liquidity.
            assert tick.price in (asks[0].price, bids[0].price)
            assert asks[0].price > bids[0].price
        assert [lv.price for lv in asks] == sorted(lv.price for lv in asks)
        assert [lv.price for lv in bids] == sorted((lv.price for lv in bids), reverse=True)
        assert all(lv.volume > 0 and lv.volume % 100 == 0 for lv in bids + asks)


def test_trades_are_newest_first_and_end_at_the_tick(sim: SimulatedSource) -> None:
    moment = at(DAY, 10, 0, 7)
    tick = sim.ticks_at(["600519.SH"], moment)["600519.SH"]
    trades = sim.trades_at("600519.SH", moment, limit=50)
    assert len(trades) == 50
    assert trades[0].price == tick.price and trades[0].time <= moment
    assert [t.time for t in trades] == sorted((t.time for t in trades), reverse=True)
    assert {t.direction for t in trades} <= {"buy", "sell"} and all(t.volume % 100 == 0 for t in trades)
    opening = sim.trades_at("600519.SH", at(DAY, 9, 26), limit=5)
    assert [t.direction for t in opening] == ["neutral"] and opening[0].price == tick.open


def test_outside_sessions_the_last_state_holds(sim: SimulatedSource) -> None:
    symbols = ["000001.SZ", "600519.SH"]
    close = sim.ticks_at(symbols, at(DAY, 15, 0))
    assert sim.ticks_at(symbols, at(DAY, 20, 0)) == close
    assert sim.ticks_at(symbols, at(DAY + timedelta(days=1), 8, 0)) == close
    (daily,) = sim.bars("000001.SZ", period="1d", start=DAY, end=DAY)
    assert close["000001.SZ"].price == daily.close and close["000001.SZ"].volume == daily.volume
    assert sim.ticks_at(symbols, at(DAY, 12, 0)) == sim.ticks_at(symbols, at(DAY, 11, 45))


def test_successive_polls_move_and_identical_moments_repeat(calendar: None) -> None:
    source = simulated(clock="replay")
    symbols = stocks(source)[:20]
    now = datetime(2024, 6, 15, 3, 0, 1, tzinfo=UTC)  # a Saturday: replays Friday 14 June
    first = source.ticks_at(symbols, now)
    assert source.ticks_at(symbols, now) == first
    later = source.ticks_at(symbols, now + timedelta(seconds=3))
    assert any(later[s].volume != first[s].volume for s in first)
    tick = first[symbols[0]]
    assert tick.trading_day == date(2024, 6, 14) and tick.time == now.replace(second=0)
    assert tick.simulated_time is not None and shanghai(tick.simulated_time).date() == date(2024, 6, 14)


def test_health_probes_and_bad_options_are_rejected(sim: SimulatedSource) -> None:
    health = sim.health()
    assert health.ok and health.latency_ms >= 0 and health.extra["instruments"] == 120
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="clock"):
        load_source({"BACKEND": "simulated", "OPTIONS": {"clock": "warp"}})
    with pytest.raises(ImproperlyConfigured, match="bad OPTIONS"):
        load_source({"BACKEND": "simulated", "OPTIONS": {"colour": "red"}})
