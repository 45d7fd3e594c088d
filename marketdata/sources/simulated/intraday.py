"""One trading day of one symbol: 240 minute bars and the 3-second steps inside each minute.

Each minute is traded in 20 steps of 3 seconds (the feed's poll interval). Within a minute the
price runs open -> low -> high -> close (or open -> high -> low -> close on a down minute), so the
minute's high and low are really touched and a tick's running high/low never anticipates the
future. Volume is in lots of 100 shares, split evenly over the steps; turnover is the exact sum of
step volume times step price, so a day's bar is exactly the aggregate of its minutes. Prices are
integers in units of the instrument's tick (`Profile.scale` per CNY: cents, or an ETF's 0.001).

The closing call auction (14:57-15:00, both exchanges; SSE since 2018): minutes 237-239 have no
continuous trade. Their steps hold the indicative closing price (moving from the last trade to
the close), the 14:58 and 14:59 bars are flat at the last trade with no volume, and the 15:00 bar
is the one closing match: open = high = low = close, the volume of the three minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from marketdata.sessions import MINUTES_PER_DAY
from marketdata.sources.simulated.universe import Profile, rng

STEPS = 20  # 3-second steps per minute
_WAYPOINTS = (0, 6, 13, 19)
# For each step: (segment j, weight of waypoint j, weight of waypoint j+1).
_WEIGHTS = tuple(
    next(
        (
            j,
            (_WAYPOINTS[j + 1] - s) / (_WAYPOINTS[j + 1] - _WAYPOINTS[j]),
            (s - _WAYPOINTS[j]) / (_WAYPOINTS[j + 1] - _WAYPOINTS[j]),
        )
        for j in range(3)
        if _WAYPOINTS[j] <= s <= _WAYPOINTS[j + 1]
    )
    for s in range(STEPS)
)
_SEGMENT = np.array([j for j, _, _ in _WEIGHTS])
_FROM = np.array([a for _, a, _ in _WEIGHTS])
_TO = np.array([b for _, _, b in _WEIGHTS])
_STEP_INDEX = np.arange(STEPS)
_FRACTION = np.arange(1, MINUTES_PER_DAY + 1) / MINUTES_PER_DAY
CLOSE_CALL = MINUTES_PER_DAY - 3  # minute 237 (14:57): the closing call auction starts


@dataclass(frozen=True, slots=True)
class DayData:
    """Minute bars in price units (the tick) and lots; turnover in CNY."""

    day: date
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    lots: np.ndarray  # lots traded per minute (minute 0 includes the call auction)
    turnover: np.ndarray
    auction_lots: int
    # Every step's price (240 x 20 units), so a snapshot or a trade is a lookup, not a recomputation;
    # in the closing call (minutes 237-239) the indicative closing price.
    prices: np.ndarray
    # Running values at the end of each minute, so a snapshot is a lookup, not a reduction.
    run_high: np.ndarray
    run_low: np.ndarray
    run_lots: np.ndarray
    run_turnover: np.ndarray

    def step_price(self, minute: int, step: int) -> int:
        return int(self.prices[minute, step])

    @property
    def last_trade(self) -> int:
        """The price of the last continuous trade (14:56:57), what the closing call starts from."""
        return int(self.close[CLOSE_CALL - 1])

    @property
    def close_lots(self) -> int:
        """Lots of the one closing match at 15:00."""
        return int(self.lots[-1])

    def step_lots(self, minute: int, step: int) -> int:
        """Lots traded in one continuous step; the call auction's lots are the first step of the day."""
        lots = int(self.lots[minute]) - (self.auction_lots if minute == 0 else 0)
        share = lots // STEPS + (1 if step < lots % STEPS else 0)
        return share + (self.auction_lots if minute == 0 and step == 0 else 0)


def build_day(
    profile: Profile, seed: int, day: date, prev: int, close: int, low_limit: int, high_limit: int
) -> DayData:
    """The day's minutes, from the previous close (price units) to the close the daily path set."""
    draw = rng(seed, profile.symbol, day.isoformat(), "day")
    vol = profile.volatility
    opened = int(np.clip(round(prev * math.exp(draw.normal(0, 0.3 * vol))), low_limit, high_limit))
    steps = draw.normal(0, vol / math.sqrt(MINUTES_PER_DAY) * 1.3, MINUTES_PER_DAY)
    walk = np.cumsum(steps)
    bridge = walk - _FRACTION * (walk[-1] - math.log(close / opened))
    closes = np.clip(np.rint(opened * np.exp(bridge)), low_limit, high_limit).astype(np.int64)
    closes[-1] = close
    opens = np.concatenate(([opened], closes[:-1]))
    wick = vol / math.sqrt(MINUTES_PER_DAY) * 0.7
    highs = np.maximum(opens, closes) * np.exp(np.abs(draw.normal(0, wick, MINUTES_PER_DAY)))
    lows = np.minimum(opens, closes) * np.exp(-np.abs(draw.normal(0, wick, MINUTES_PER_DAY)))
    highs = np.clip(np.rint(highs), np.maximum(opens, closes), high_limit).astype(np.int64)
    lows = np.clip(np.rint(lows), low_limit, np.minimum(opens, closes)).astype(np.int64)
    lots, auction = _volumes(profile, draw)
    prices = _step_prices(opens, highs, lows, closes)
    # The closing call: no trade from 14:57, the three minutes' volume matched at the close at 15:00.
    last = int(closes[CLOSE_CALL - 1])
    for bars in (opens, highs, lows, closes):
        bars[CLOSE_CALL:-1] = last
        bars[-1] = close
    lots[-1] = int(lots[CLOSE_CALL:].sum())
    lots[CLOSE_CALL:-1] = 0
    call = np.arange(1, 3 * STEPS + 1) / (3 * STEPS)
    prices[CLOSE_CALL:] = np.rint(last + (close - last) * call).reshape(3, STEPS)
    turnover = _turnover(profile, prices, lots, auction)
    return DayData(day, opens, highs, lows, closes, lots, turnover, auction, prices,
                   np.maximum.accumulate(highs), np.minimum.accumulate(lows),
                   np.cumsum(lots), np.cumsum(turnover))  # fmt: skip


def _volumes(profile: Profile, draw: np.random.Generator) -> tuple[np.ndarray, int]:
    """Lots per minute on a U-shaped intraday profile (busy open and close), at least one per step."""
    total = profile.daily_volume / 100 * draw.lognormal(0, 0.35)
    minute = np.arange(MINUTES_PER_DAY)
    shape = 1 + 2.0 * np.exp(-(minute % 120) / 15) + 1.5 * np.exp(-(MINUTES_PER_DAY - 1 - minute) / 15)
    weights = shape * draw.lognormal(0, 0.4, MINUTES_PER_DAY)
    lots = np.maximum(STEPS, np.rint(total * weights / weights.sum())).astype(np.int64)
    auction = int(max(1, round(total * 0.01)))
    lots[0] += auction
    return lots, auction


def _step_prices(opens: np.ndarray, highs: np.ndarray, lows: np.ndarray, closes: np.ndarray) -> np.ndarray:
    """Each step's price: the rounded interpolation between the minute's two waypoints around it."""
    up = closes >= opens
    points = np.stack([opens, np.where(up, lows, highs), np.where(up, highs, lows), closes], axis=1).astype(np.float64)
    return np.rint(points[:, _SEGMENT] * _FROM + points[:, _SEGMENT + 1] * _TO).astype(np.int64)


def _turnover(profile: Profile, prices: np.ndarray, lots: np.ndarray, auction: int) -> np.ndarray:
    """CNY per minute: sum over steps of (lots x 100 shares) x (price units / scale); the 15:00
    minute is its one closing match (lots x the close)."""
    if profile.info.kind == "index":
        return lots * 100 * profile.index_price_per_share
    continuous = lots.copy()
    continuous[0] -= auction
    step_lots = continuous[:, None] // STEPS + ((continuous % STEPS)[:, None] > _STEP_INDEX)
    step_lots[0, 0] += auction
    units = (step_lots * prices).sum(axis=1)
    units[-1] = lots[-1] * prices[-1, -1]
    return units.astype(np.float64) * (100 / profile.scale)
