"""Snapshots and trades at a position in a simulated day, and the order book around the last price."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypedDict

from marketdata.sessions import AUCTION_END, exchange_moment, minute_start
from marketdata.sources.base import Level, Tick, TickStatus, Trade
from marketdata.sources.simulated.intraday import STEPS, DayData
from marketdata.sources.simulated.universe import Profile

AUCTION_STEPS = 200  # 3-second steps of the 09:15-09:25 call auction
OPENED = -1  # step value meaning "09:25-09:30: the auction has set the open, no continuous trade yet"


@dataclass(frozen=True, slots=True)
class Position:
    """Where a day stands: minute -1 is the call auction (step 0-199); (0, OPENED) is after it."""

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
    prev: int  # cents; the ex-rights reference on ex-dates
    close: int
    suspended: bool
    low_limit: int | None
    high_limit: int | None


def step_direction(data: DayData, minute: int, step: int) -> str:
    """Buy on an uptick, sell on a downtick; level steps alternate deterministically."""
    price = data.step_price(minute, step)
    before = data.step_price(minute, step - 1) if step else int(data.open[minute])
    if price != before:
        return "buy" if price > before else "sell"
    return "buy" if (minute * STEPS + step) % 3 == 1 else "sell"


def snapshot(profile: Profile, data: DayData | None, prices: DayPrices, at: Position, depth: int, seed: int,
             produced: datetime, simulated: datetime | None) -> Tick:  # fmt: skip
    """The tick at `at`: running open/high/low/volume/turnover up to it and a book around the price."""
    low_limit, high_limit = prices.low_limit, prices.high_limit
    common = _Common(
        symbol=profile.symbol,
        time=produced,
        trading_day=at.day,
        prev_close=prices.prev / 100,
        limit_up=high_limit / 100 if high_limit is not None else None,
        limit_down=low_limit / 100 if low_limit is not None else None,
        simulated_time=simulated,
    )
    if data is None:
        close = prices.prev / 100
        return Tick(price=close, open=close, high=close, low=close, volume=0, turnover=0.0, bids=(), asks=(),
                    status=TickStatus.SUSPENDED, **common)  # fmt: skip
    price, high, low, lots, turnover, direction = _running(data, at, prices.prev)
    status = TickStatus.TRADING
    if high_limit is not None and price >= high_limit:
        status = TickStatus.LIMIT_UP
    elif low_limit is not None and price <= low_limit:
        status = TickStatus.LIMIT_DOWN
    opened = int(data.open[0]) if at.minute >= 0 else price
    bids, asks = _book(profile, price, direction, prices, at, depth, seed) if profile.has_book else ((), ())
    index_turnover = profile.info.kind == "index"
    return Tick(
        price=price / 100,
        open=opened / 100,
        high=high / 100,
        low=low / 100,
        volume=lots * 100,
        turnover=round(lots * 100 * 12.0 if index_turnover else turnover, 2),
        bids=bids,
        asks=asks,
        status=status,
        **common,
    )


def _running(data: DayData, at: Position, prev: int) -> tuple[int, int, int, int, float, str]:
    """(price, high, low, lots, turnover CNY, last direction) up to `at`."""
    if at.minute < 0:
        fraction = (at.step + 1) / AUCTION_STEPS
        price = round(prev + (int(data.open[0]) - prev) * fraction)
        return price, price, price, 0, 0.0, "neutral"
    opened = int(data.open[0])
    if at.step == OPENED:
        return opened, opened, opened, data.auction_lots, float(data.auction_lots * opened), "neutral"
    minute = at.minute
    high = data.run_high[minute - 1] if minute else opened
    low = data.run_low[minute - 1] if minute else opened
    lots = data.run_lots[minute - 1] if minute else 0
    turnover = data.run_turnover[minute - 1] if minute else 0.0
    price = opened
    for step in range(at.step + 1):
        price = data.step_price(minute, step)
        step_lots = data.step_lots(minute, step)
        high, low = max(high, price), min(low, price)
        lots += step_lots
        turnover += step_lots * price
    return price, high, low, lots, turnover, step_direction(data, minute, at.step)


def _book(profile: Profile, price: int, direction: str, prices: DayPrices, at: Position, depth: int,
          seed: int) -> tuple[tuple[Level, ...], tuple[Level, ...]]:  # fmt: skip
    """Levels one tick apart, never past the day's limits: ask1 = price after a buy, else price + 0.01."""
    low_limit = prices.low_limit or 1
    high_limit = prices.high_limit or (1 << 40)
    ask1 = price if direction == "buy" else price + 1
    bid1 = ask1 - 1
    if price >= high_limit:
        ask1, bid1 = high_limit + 1, high_limit
    elif price <= low_limit:
        ask1, bid1 = low_limit, low_limit - 1
    digest = hashlib.blake2b(
        f"{seed}|{profile.symbol}|{at.day}|{at.minute}|{at.step}".encode(), digest_size=64
    ).digest()
    unit = max(1, int(profile.daily_volume / 100 / 240 / STEPS))
    asks = tuple(
        Level((ask1 + j) / 100, (1 + digest[j] * unit // 32) * 100) for j in range(depth) if ask1 + j <= high_limit
    )
    bids = tuple(
        Level((bid1 - j) / 100, (1 + digest[32 + j] * unit // 32) * 100) for j in range(depth) if bid1 - j >= low_limit
    )
    return bids, asks


def trades_before(profile: Profile, data: DayData, at: Position, limit: int) -> list[Trade]:
    """Up to `limit` trades of the day up to `at`, newest first (each step is one trade)."""
    if at.minute < 0:
        return []
    trades: list[Trade] = []
    minute, step = (0, -1) if at.step == OPENED else (at.minute, at.step)
    while len(trades) < limit and minute >= 0:
        if step < 0:
            minute, step = minute - 1, STEPS - 1
            continue
        start = minute_start(at.day, minute) + timedelta(seconds=3 * step)
        lots = data.step_lots(minute, step) - (data.auction_lots if (minute, step) == (0, 0) else 0)
        price = data.step_price(minute, step) / 100
        trades.append(Trade(profile.symbol, start, price, lots * 100, step_direction(data, minute, step)))
        step -= 1
    if len(trades) < limit:
        auction_time = exchange_moment(at.day, AUCTION_END)
        trades.append(Trade(profile.symbol, auction_time, int(data.open[0]) / 100, data.auction_lots * 100, "neutral"))
    return trades[:limit]
