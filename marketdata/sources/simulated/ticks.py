"""Snapshots and trades at a position in a simulated day, and the order book around the last price.

The book's spread follows liquidity: a relative width that shrinks with the square root of the
instrument's typical daily turnover (`spread_ticks`), in whole ticks. A liquid, low-priced name
(000001.SZ, 510300.SH) quotes one tick wide; a thin small cap several ticks, its levels further
apart (gaps of up to three ticks) and smaller. During the closing call (14:57-15:00) `price` stays
the last trade and the book is the auction's after its virtual match: bids[0] is the indicative
closing price, asks[0] one tick above it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypedDict

from marketdata.sessions import AFTERNOON, AUCTION_END, exchange_moment, minute_start
from marketdata.sources.base import Level, Tick, TickStatus, Trade
from marketdata.sources.simulated.intraday import CLOSE_CALL, STEPS, DayData
from marketdata.sources.simulated.universe import Profile

AUCTION_STEPS = 200  # 3-second steps of the 09:15-09:25 call auction
OPENED = -1  # step value meaning "09:25-09:30: the auction has set the open, no continuous trade yet"
CLOSED = STEPS  # step value (of minute 239) meaning "15:00 or later: the closing call has matched"
# The relative spread (bid-ask over price) of an instrument trading 1e8 CNY a day; it scales with
# 1/sqrt(daily turnover): 10 bp at 1e8, 3.2 bp at 1e9, 32 bp at 1e7 (a 20 CNY stock trading 3e7 CNY
# a day: 4 ticks; 000001.SZ, 600000.SH and the ETFs: one).
_SPREAD_AT_1E8 = 0.0010
_MARKET_MADE = 0.5  # ETFs have designated market makers quoting both sides: half the width
_MAX_SPREAD_TICKS = 30


@dataclass(frozen=True, slots=True)
class Position:
    """Where a day stands: minute -1 is the call auction (step 0-199); (0, OPENED) is after it;
    minutes 237-239 are the closing call (indicative), (239, CLOSED) is after its match."""

    day: date
    minute: int
    step: int


class _Common(TypedDict):
    symbol: str
    time: datetime
    trading_day: date
    prev_close: float
    limit_up: float | None
    limit_down: float | None
    simulated_time: datetime | None


@dataclass(frozen=True, slots=True)
class DayPrices:
    prev: int  # price units (the tick); the ex-rights reference on ex-dates
    close: int
    suspended: bool
    low_limit: int | None
    high_limit: int | None


def step_direction(data: DayData, minute: int, step: int) -> str:
    """Buy on an uptick, sell on a downtick; level steps alternate deterministically."""
    before = int(data.prices[minute, step - 1]) if step else int(data.open[minute])
    return _direction(int(data.prices[minute, step]), before, minute, step)


def _direction(price: int, before: int, minute: int, step: int) -> str:
    if price != before:
        return "buy" if price > before else "sell"
    return "buy" if (minute * STEPS + step) % 3 == 1 else "sell"


def in_closing_call(at: Position) -> bool:
    return at.minute >= CLOSE_CALL and at.step != CLOSED


def snapshot(profile: Profile, data: DayData | None, prices: DayPrices, at: Position, depth: int, seed: int,
             produced: datetime, simulated: datetime | None) -> Tick:  # fmt: skip
    """The tick at `at`: running open/high/low/volume/turnover up to it and a book around the price."""
    low_limit, high_limit = prices.low_limit, prices.high_limit
    scale = profile.scale
    common = _Common(
        symbol=profile.symbol,
        time=produced,
        trading_day=at.day,
        prev_close=prices.prev / scale,
        limit_up=high_limit / scale if high_limit is not None else None,
        limit_down=low_limit / scale if low_limit is not None else None,
        simulated_time=simulated,
    )
    if data is None:
        close = prices.prev / scale
        return Tick(price=close, open=close, high=close, low=close, volume=0, turnover=0.0, bids=(), asks=(),
                    status=TickStatus.SUSPENDED, **common)  # fmt: skip
    price, high, low, lots, turnover, direction = _running(data, at, prices.prev, scale)
    status = TickStatus.TRADING
    if high_limit is not None and price >= high_limit:
        status = TickStatus.LIMIT_UP
    elif low_limit is not None and price <= low_limit:
        status = TickStatus.LIMIT_DOWN
    opened = int(data.open[0]) if at.minute >= 0 else price
    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()
    if profile.has_book and in_closing_call(at):  # the auction's book around the indicative price
        bids, asks = _book(profile, data.step_price(at.minute, at.step), "neutral", prices, at, depth, seed, 1)
    elif profile.has_book:
        bids, asks = _book(profile, price, direction, prices, at, depth, seed, spread_ticks(profile, price))
    index_turnover = profile.info.kind == "index"
    return Tick(
        price=price / scale,
        open=opened / scale,
        high=high / scale,
        low=low / scale,
        volume=lots * 100,
        turnover=round(lots * 100 * profile.index_price_per_share if index_turnover else turnover, 2),
        bids=bids,
        asks=asks,
        status=status,
        **common,
    )


def _running(data: DayData, at: Position, prev: int, scale: int) -> tuple[int, int, int, int, float, str]:
    """(price, high, low, lots, turnover CNY, last direction) up to `at`."""
    if at.minute < 0:
        fraction = (at.step + 1) / AUCTION_STEPS
        price = round(prev + (int(data.open[0]) - prev) * fraction)
        return price, price, price, 0, 0.0, "neutral"
    opened = int(data.open[0])
    cny = 100 / scale  # lots x price units -> CNY
    if at.step == OPENED:
        return opened, opened, opened, data.auction_lots, float(data.auction_lots * opened) * cny, "neutral"
    if at.minute >= CLOSE_CALL:  # the closing call: totals as of the last trade, or after the match
        last = len(data.close) - 1 if at.step == CLOSED else CLOSE_CALL - 1
        price = int(data.close[last])
        return (price, int(data.run_high[last]), int(data.run_low[last]), int(data.run_lots[last]),
                float(data.run_turnover[last]), "neutral")  # fmt: skip
    minute, step = at.minute, at.step
    # The steps of this minute so far; sums of integers, so the order of the additions does not matter.
    row: list[int] = data.prices[minute, : step + 1].tolist()
    continuous = int(data.lots[minute]) - (data.auction_lots if minute == 0 else 0)
    share, remainder = divmod(continuous, STEPS)
    lots = (step + 1) * share + min(step + 1, remainder)
    cents = share * sum(row) + sum(row[:remainder])
    if minute:
        high, low = max(int(data.run_high[minute - 1]), *row), min(int(data.run_low[minute - 1]), *row)
        lots += int(data.run_lots[minute - 1])
        turnover = float(data.run_turnover[minute - 1]) + cents * cny
    else:
        high, low = max(opened, *row), min(opened, *row)
        lots += data.auction_lots
        turnover = float(cents + data.auction_lots * row[0]) * cny
    before = row[-2] if step else int(data.open[minute])
    return row[-1], high, low, lots, turnover, _direction(row[-1], before, minute, step)


def spread_ticks(profile: Profile, price: int) -> int:
    """The typical bid-ask spread of `profile` at `price` (units), in ticks: its relative width
    (by liquidity) times the price, at least one tick."""
    relative = _SPREAD_AT_1E8 * math.sqrt(1e8 / max(profile.typical_turnover, 1e5))
    if profile.info.kind == "etf":
        relative *= _MARKET_MADE
    return max(1, min(_MAX_SPREAD_TICKS, round(relative * price)))


def _book(profile: Profile, price: int, direction: str, prices: DayPrices, at: Position, depth: int,
          seed: int, spread: int) -> tuple[tuple[Level, ...], tuple[Level, ...]]:  # fmt: skip
    """Levels around the last price, never past the day's limits: ask1 = price after a buy (bid1
    `spread` ticks below), else bid1 = price. A one-tick book has a level at every tick; a wider
    (thinner) one varies its spread and leaves gaps of up to three ticks between levels."""
    low_limit = prices.low_limit or 1
    high_limit = prices.high_limit or (1 << 40)
    digest = hashlib.blake2b(
        f"{seed}|{profile.symbol}|{at.day}|{at.minute}|{at.step}".encode(), digest_size=64
    ).digest()
    ask_gaps: list[int] | None = None
    bid_gaps: list[int] | None = None
    if spread > 1:
        extra = hashlib.blake2b(digest, digest_size=2 * depth + 1).digest()
        spread = max(1, spread + extra[-1] % (spread // 2 + 1) - spread // 4)
        widest = min(3, spread)
        ask_gaps = [1 + v % widest for v in extra[:depth]]
        bid_gaps = [1 + v % widest for v in extra[depth : 2 * depth]]
    ask1 = price if direction == "buy" else price + spread
    # A wide spread near a limit stops at it: the side keeps its best level at the limit price.
    bid1, ask1 = max(ask1 - spread, low_limit), min(ask1, high_limit)
    if price >= high_limit:
        ask1, bid1 = high_limit + 1, high_limit
    elif price <= low_limit:
        ask1, bid1 = low_limit, low_limit - 1
    unit = max(1, int(profile.daily_volume / 100 / 240 / STEPS))
    ask_prices = _ladder(ask1, ask_gaps, 1, high_limit, depth)
    bid_prices = _ladder(bid1, bid_gaps, -1, low_limit, depth)
    scale = profile.scale
    bid_sizes = [(1 + v * unit // 32) * 100 for v in digest[32 : 32 + depth]]
    ask_sizes = [(1 + v * unit // 32) * 100 for v in digest[:depth]]
    return (
        tuple(map(Level, [p / scale for p in bid_prices], bid_sizes)),
        tuple(map(Level, [p / scale for p in ask_prices], ask_sizes)),
    )


def _ladder(first: int, gaps: list[int] | None, sign: int, bound: int, depth: int) -> list[int] | range:
    """`depth` level prices from `first` outwards (`sign`), not past `bound`: one a tick (`gaps`
    None), or `gaps[j]` ticks before level j+1."""
    if gaps is None:
        return range(first, first + sign * max(0, min(depth, (bound - first) * sign + 1)), sign)
    levels, price = [], first
    for gap in gaps:
        if (price - bound) * sign > 0:
            break
        levels.append(price)
        price += sign * gap
    return levels


def trades_before(profile: Profile, data: DayData, at: Position, limit: int) -> list[Trade]:
    """Up to `limit` trades of the day up to `at`, newest first: each continuous step is one trade,
    the opening and the closing call one each (none inside 14:57-15:00 until the close's match)."""
    if at.minute < 0:
        return []
    scale = profile.scale
    trades: list[Trade] = []
    minute, step = (0, -1) if at.step == OPENED else (at.minute, at.step)
    if at.minute >= CLOSE_CALL:
        if at.step == CLOSED:
            closing = exchange_moment(at.day, AFTERNOON[1])
            trades.append(Trade(profile.symbol, closing, int(data.close[-1]) / scale, data.close_lots * 100, "neutral"))
        minute, step = CLOSE_CALL - 1, STEPS - 1
    while len(trades) < limit and minute >= 0:
        if step < 0:
            minute, step = minute - 1, STEPS - 1
            continue
        start = minute_start(at.day, minute) + timedelta(seconds=3 * step)
        lots = data.step_lots(minute, step) - (data.auction_lots if (minute, step) == (0, 0) else 0)
        price = data.step_price(minute, step) / scale
        trades.append(Trade(profile.symbol, start, price, lots * 100, step_direction(data, minute, step)))
        step -= 1
    if len(trades) < limit:
        auction_time = exchange_moment(at.day, AUCTION_END)
        opening = int(data.open[0]) / scale
        trades.append(Trade(profile.symbol, auction_time, opening, data.auction_lots * 100, "neutral"))
    return trades[:limit]
