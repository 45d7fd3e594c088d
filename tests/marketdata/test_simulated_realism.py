"""A more honest simulated market (issue 14): ETFs on the 0.001 tick with their own limits, index
levels and volumes in the range of the real ones, spreads by liquidity, the 14:57-15:00 closing call."""

from __future__ import annotations

import asyncio
import json
import statistics
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from marketdata.sessions import SHANGHAI, phase_at
from marketdata.sources import load_source
from marketdata.sources.base import Phase, Tick, TickStatus
from marketdata.sources.simulated import SimulatedSource
from marketdata.sources.simulated.ticks import spread_ticks
from marketdata.sources.simulated.universe import ETF_TRACKS
from marketdata.symbols import limit_prices, limit_ratio, parse_symbol
from streaming import get_store
from streaming.services.feed import feed_interval

DAY = date(2024, 6, 12)  # a Wednesday, both exchanges open
ETFS = ("510300.SH", "510050.SH", "159915.SZ", "588000.SH", "159919.SZ")
# 上证指数, 深证成指, 沪深300, 上证50, 创业板指, 科创50, 北证50: their rounded 2024 year-end closes,
# the simulation's centres (universe.FIXED). Over 2023-2025 the real 上证指数 stayed within -21 % and
# +17 % of its centre; the simulated levels must stay within ±30 % (the old 2132 for 000001.SH: -36 %).
INDEX_CENTRES = {
    "000001.SH": 3350,
    "399001.SZ": 10400,
    "000300.SH": 3935,
    "000016.SH": 2650,
    "399006.SZ": 2140,
    "000688.SH": 1000,
    "899050.BJ": 1200,
}


def at(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=SHANGHAI).astimezone(UTC)


def on_grid(value: float, digits: int) -> bool:
    return abs(value * 10**digits - round(value * 10**digits)) < 1e-6


def prices_of(tick: Tick) -> list[float]:
    return [tick.price, tick.open, tick.high, tick.low, *(lv.price for lv in tick.bids + tick.asks)]


def moments(day: date) -> list[datetime]:
    """The auction, 34 continuous moments, the closing call and after the close."""
    morning = [at(day, 9, 30) + timedelta(minutes=7 * n, seconds=3) for n in range(17)]
    afternoon = [at(day, 13, 0) + timedelta(minutes=7 * n, seconds=6) for n in range(17)]
    return [at(day, 9, 20), at(day, 9, 27), *morning, *afternoon, at(day, 14, 58, 30), at(day, 15, 5)]


@pytest.fixture
def market(calendar: None) -> SimulatedSource:
    built = load_source({"BACKEND": "simulated", "OPTIONS": {"seed": 7, "universe_size": 400, "clock": "real"}})
    assert isinstance(built, SimulatedSource)
    return built


# --- ETFs -------------------------------------------------------------------------------------


def test_etfs_quote_on_the_0_001_tick_with_their_own_limits(market: SimulatedSource) -> None:
    off_cent = 0
    for symbol in ETFS:
        ratio = limit_ratio("深圳主板", "etf", symbol=symbol)
        assert ratio == (Decimal("0.20") if symbol in ("159915.SZ", "588000.SH") else Decimal("0.10"))
        for moment in moments(DAY):
            tick = market.ticks_at([symbol], moment)[symbol]
            assert all(on_grid(p, 3) for p in [*prices_of(tick), tick.prev_close, tick.limit_up, tick.limit_down])
            off_cent += sum(not on_grid(p, 2) for p in prices_of(tick))
            # The exchanges' rule on the fund's tick: prev_close x (1 ± ratio), halves up to 0.001.
            assert (tick.limit_up, tick.limit_down) == limit_prices(tick.prev_close, ratio, Decimal("0.001"))
            if tick.bids and tick.asks and tick.status == TickStatus.TRADING:
                assert round(tick.asks[0].price - tick.bids[0].price, 3) == 0.001  # market-made: one 0.001 tick
        bars = market.bars(symbol, period="1d", start=date(2024, 1, 1), end=DAY)
        minutes = market.bars(symbol, period="1m", start=DAY, end=DAY)
        trades = market.trades_at(symbol, at(DAY, 10, 30), limit=50)
        assert bars and minutes and trades
        assert all(on_grid(p, 3) for b in bars + minutes for p in (b.open, b.high, b.low, b.close))
        assert all(on_grid(t.price, 3) for t in trades)
    assert off_cent > 100  # really on the finer grid, not cents written with three decimals


def test_an_etf_follows_the_index_it_tracks(market: SimulatedSource) -> None:
    for etf, index in ETF_TRACKS.items():
        start, end = date(2024, 1, 1), date(2024, 12, 31)
        funds = market.bars(etf, period="1d", start=start, end=end)
        levels = {b.trading_day: b.close for b in market.bars(index, period="1d", start=start, end=end)}
        ratios = [b.close / levels[b.trading_day] for b in funds]
        assert max(ratios) / min(ratios) < 1.001, etf  # the same path at the fund's unit ratio, to the tick


def test_stocks_stay_on_the_cent_with_their_boards_limits(market: SimulatedSource) -> None:
    seen: set[Decimal] = set()
    for profile in market.profiles.values():
        if profile.info.kind != "stock":
            continue
        tick = market.ticks_at([profile.symbol], at(DAY, 10, 0, 7)).get(profile.symbol)
        if tick is None:  # listed later
            continue
        ratio = parse_symbol(profile.symbol).limit_ratio(is_st=profile.info.is_st)
        assert ratio is not None and ratio == profile.ratio
        seen.add(ratio)
        assert all(on_grid(p, 2) for p in [*prices_of(tick), tick.prev_close, tick.limit_up, tick.limit_down])
        assert (tick.limit_up, tick.limit_down) == limit_prices(tick.prev_close, ratio)  # half-up to 0.01
    assert seen == {Decimal("0.05"), Decimal("0.10"), Decimal("0.20"), Decimal("0.30")}  # ST, main, ChiNext/STAR, BJ


# --- indices ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 7, 20240101])
def test_index_levels_and_volumes_are_in_the_range_of_the_real_ones(calendar: None, seed: int) -> None:
    source = load_source({"BACKEND": "simulated", "OPTIONS": {"seed": seed, "universe_size": 20, "clock": "real"}})
    for symbol, centre in INDEX_CENTRES.items():
        bars = source.bars(symbol, period="1d", start=date(2023, 1, 1), end=date(2026, 11, 30))
        closes = [b.close for b in bars]
        assert 0.7 * centre <= min(closes) and max(closes) <= 1.3 * centre, (symbol, min(closes), max(closes))
    sse = source.bars("000001.SH", period="1d", start=date(2024, 1, 1), end=date(2024, 12, 31))
    volume = statistics.median(b.volume for b in sse)
    assert 2e10 < volume < 7e10  # 上证指数 trades some 3-5e10 shares a day
    turnover = statistics.median(b.turnover or 0 for b in sse)
    assert 2e11 < turnover < 9e11  # and some 4,000亿 CNY


# --- spreads ----------------------------------------------------------------------------------


def _spreads(market: SimulatedSource, symbol: str) -> list[int]:
    """Bid-ask spreads in ticks at continuous-trading moments away from the limits."""
    scale = market.profiles[symbol].scale
    found = []
    for moment in moments(DAY)[2:-2]:
        tick = market.ticks_at([symbol], moment)[symbol]
        if tick.bids and tick.asks and tick.status == TickStatus.TRADING:
            found.append(round((tick.asks[0].price - tick.bids[0].price) * scale))
    return found


def test_spreads_widen_and_levels_thin_where_the_book_is_thin(market: SimulatedSource) -> None:
    stocks = [p for p in market.profiles.values() if p.info.kind == "stock" and market.day_prices(p, DAY)]
    stocks = [p for p in stocks if not market.day_prices(p, DAY).suspended]  # type: ignore[union-attr]
    small = [p for p in stocks if p.typical_turnover < 5e7]  # small caps: under 5,000万 CNY a day
    thin = max(small, key=lambda p: spread_ticks(p, round(p.base_price * p.scale)))
    # The width is relative to the price: the thinnest 5 CNY stock quotes 2 ticks (40 bp), a thin
    # 20 CNY one 4-6; the widest small cap here is several ticks wide.
    spreads = _spreads(market, thin.symbol)
    assert spreads and statistics.median(spreads) >= 3, (thin.symbol, spreads)
    # Liquid, low-priced names quote one tick wide, every time.
    for liquid in ("000001.SZ", "600000.SH", "510300.SH"):
        assert set(_spreads(market, liquid)) == {1}, liquid
    # A thin book's levels are further apart and smaller.
    tick = market.ticks_at([thin.symbol], at(DAY, 10, 0, 7))[thin.symbol]
    gaps = [round((b.price - a.price) * 100) for a, b in zip(tick.asks, tick.asks[1:], strict=False)]
    assert max(gaps) > 1 and min(gaps) >= 1
    deep = market.ticks_at(["000001.SZ"], at(DAY, 10, 0, 7))["000001.SZ"]
    assert statistics.median(lv.volume for lv in tick.bids) < statistics.median(lv.volume for lv in deep.bids)


# --- the closing call auction -----------------------------------------------------------------


@pytest.mark.parametrize("symbol", ["000001.SZ", "600519.SH", "510300.SH"])
def test_the_closing_call_has_no_continuous_trade_then_one_match_sets_the_close(
    market: SimulatedSource, symbol: str
) -> None:
    before = market.ticks_at([symbol], at(DAY, 14, 56, 59))[symbol]
    (daily,) = market.bars(symbol, period="1d", start=DAY, end=DAY)
    indicative = []
    for second in range(0, 180, 3):
        moment = at(DAY, 14, 57) + timedelta(seconds=second)
        tick = market.ticks_at([symbol], moment)[symbol]
        # No trade in the call: the last trade, the day's totals as of 14:56:59.
        assert (tick.price, tick.high, tick.low, tick.volume, tick.turnover) == (
            before.price, before.high, before.low, before.volume, before.turnover
        )  # fmt: skip
        assert tick.bids[0].price < tick.asks[0].price  # the auction's book after its virtual match
        indicative.append(tick.bids[0].price)
        newest = market.trades_at(symbol, moment, limit=1)[0]
        assert newest.time < at(DAY, 14, 57)
    assert indicative[-1] == daily.close  # the indicative price ends at the closing price
    after = market.ticks_at([symbol], at(DAY, 15, 0))[symbol]
    assert (after.price, after.volume) == (daily.close, daily.volume) and after.volume > before.volume
    closing, last = market.trades_at(symbol, at(DAY, 15, 0), limit=2)
    assert (closing.time, closing.price, closing.direction) == (at(DAY, 15, 0), daily.close, "neutral")
    assert closing.volume == after.volume - before.volume and last.time < at(DAY, 14, 57)
    minutes = market.bars(symbol, period="1m", start=DAY, end=DAY)
    b1457, b1458, b1459, b1500 = minutes[-4:]
    assert b1458.volume == b1459.volume == 0 and b1458.close == b1459.close == b1457.close
    assert (b1500.open, b1500.high, b1500.low, b1500.close) == (daily.close,) * 4
    assert b1500.volume == closing.volume


def test_an_index_is_flat_in_the_closing_call(market: SimulatedSource) -> None:
    during = [market.ticks_at(["000001.SH"], at(DAY, 14, 57, s))["000001.SH"].price for s in (0, 30, 59)]
    assert len(set(during)) == 1
    (daily,) = market.bars("000001.SH", period="1d", start=DAY, end=DAY)
    assert market.ticks_at(["000001.SH"], at(DAY, 15, 0))["000001.SH"].price == daily.close


def test_the_phase_is_the_closing_auction_on_every_exchange(market: SimulatedSource, market_clock: Any) -> None:
    market_clock(at(DAY, 14, 58))
    for name in ("SH", "SZ", "BJ"):
        assert phase_at(at(DAY, 14, 58), name, market.calendar) == Phase.CLOSING_AUCTION
        assert phase_at(at(DAY, 14, 56, 59), name, market.calendar) == Phase.CONTINUOUS
        assert phase_at(at(DAY, 15, 0), name, market.calendar) == Phase.CLOSED
    # The feed's market status (what WebSocket subscribers are told) says so, and the feed keeps
    # polling: the auction's book moves while no trade happens.
    store = get_store()
    result = feed_interval(store, market, lambda symbols, trading: (int(trading), 0))
    assert result.phase == "closing_auction" and result.published == 1
    status = json.loads(asyncio.run(store.value("market")) or "{}")
    assert status["market_phase"] == "closing_auction"
    tick = market.latest_ticks(["000001.SZ"])["000001.SZ"]
    assert tick.volume == market.ticks_at(["000001.SZ"], at(DAY, 14, 56, 59))["000001.SZ"].volume


@pytest.mark.django_db(transaction=True)
def test_mcp_market_status_says_closing_auction(calendar: None, market_clock: Any) -> None:
    from mcp import Client

    from mcpserver.server import build_server
    from tests.mcp.conftest import structured

    market_clock(at(DAY, 14, 58, 30))

    async def main() -> Any:
        async with Client(build_server()) as client:
            return await client.call_tool("get_market_status", {"market": "SZ"})

    body = structured(asyncio.run(main()))
    assert body["data"]["phase"] == "closing_auction", body


def test_a_replayed_closing_call_says_so_too(calendar: None, market_clock: Any) -> None:
    """The replay clock loops a session every 4 hours of wall time: 03:58 Shanghai shows the last
    session's 14:58, and the feed's market status is that moment's phase."""
    replay = load_source({"BACKEND": "simulated", "OPTIONS": {"seed": 7, "universe_size": 40, "clock": "replay"}})
    market_clock(at(date(2024, 6, 13), 3, 58))
    store = get_store()
    result = feed_interval(store, replay, lambda symbols, trading: (0, 0))
    status = json.loads(asyncio.run(store.value("market")) or "{}")
    assert result.phase == status["market_phase"] == "closing_auction"
    assert status["simulated_time"] == "2024-06-12T06:58:00.000Z"  # 14:58 in Shanghai
    tick = replay.latest_ticks(["000001.SZ"])["000001.SZ"]
    real = load_source({"BACKEND": "simulated", "OPTIONS": {"seed": 7, "universe_size": 40, "clock": "real"}})
    before = real.ticks_at(["000001.SZ"], at(DAY, 14, 56, 59))["000001.SZ"]
    assert (tick.trading_day, tick.volume, tick.price) == (DAY, before.volume, before.price)
