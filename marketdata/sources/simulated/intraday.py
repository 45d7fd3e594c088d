"""One trading day of one symbol: 240 minute bars and the 3-second steps inside each minute.

Each minute is traded in 20 steps of 3 seconds (the feed's poll interval). Within a minute the
price runs open -> low -> high -> close (or open -> high -> low -> close on a down minute), so the
minute's high and low are really touched and a tick's running high/low never anticipates the
future. Volume is in lots of 100 shares, split evenly over the steps; turnover is the exact sum of
step volume times step price, so a day's bar is exactly the aggregate of its minutes.
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
_INDEX_PRICE_PER_SHARE = 12.0  # index turnover: constituent shares times a typical price


@dataclass(frozen=True, slots=True)
class DayData:
    """Minute bars in cents and lots; turnover in CNY."""

    day: date
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    lots: np.ndarray  # lots traded per minute (minute 0 includes the call auction)
    turnover: np.ndarray
    auction_lots: int
    # Running values at the end of each minute, so a snapshot is a lookup, not a reduction.
    run_high: list[int]
    run_low: list[int]
    run_lots: list[int]
    run_turnover: list[float]

    def waypoints(self, minute: int) -> tuple[int, int, int, int]:
        o, h, low, c = int(self.open[minute]), int(self.high[minute]), int(self.low[minute]), int(self.close[minute])
        return (o, low, h, c) if c >= o else (o, h, low, c)

    def step_price(self, minute: int, step: int) -> int:
        points = self.waypoints(minute)
        j, a, b = _WEIGHTS[step]
        return round(a * points[j] + b * points[j + 1])

    def step_lots(self, minute: int, step: int) -> int:
        """Lots traded in one step; the call auction's lots are the first step of the day."""
        lots = int(self.lots[minute]) - (self.auction_lots if minute == 0 else 0)
        share = lots // STEPS + (1 if step < lots % STEPS else 0)
        return share + (self.auction_lots if minute == 0 and step == 0 else 0)


def build_day(
    profile: Profile, seed: int, day: date, prev: int, close: int, low_limit: int, high_limit: int
) -> DayData:
    """The day's minutes, from the previous close (cents) to the close the daily path set."""
    draw = rng(seed, profile.symbol, day.isoformat(), "day")
    vol = profile.volatility
    opened = int(np.clip(round(prev * math.exp(draw.normal(0, 0.3 * vol))), low_limit, high_limit))
    steps = draw.normal(0, vol / math.sqrt(MINUTES_PER_DAY) * 1.3, MINUTES_PER_DAY)
    walk = np.cumsum(steps)
    fraction = np.arange(1, MINUTES_PER_DAY + 1) / MINUTES_PER_DAY
    bridge = walk - fraction * (walk[-1] - math.log(close / opened))
    closes = np.clip(np.rint(opened * np.exp(bridge)), low_limit, high_limit).astype(np.int64)
    closes[-1] = close
    opens = np.concatenate(([opened], closes[:-1]))
    wick = vol / math.sqrt(MINUTES_PER_DAY) * 0.7
    highs = np.maximum(opens, closes) * np.exp(np.abs(draw.normal(0, wick, MINUTES_PER_DAY)))
    lows = np.minimum(opens, closes) * np.exp(-np.abs(draw.normal(0, wick, MINUTES_PER_DAY)))
    highs = np.clip(np.rint(highs), np.maximum(opens, closes), high_limit).astype(np.int64)
    lows = np.clip(np.rint(lows), low_limit, np.minimum(opens, closes)).astype(np.int64)
    lots, auction = _volumes(profile, draw)
    turnover = _turnover(profile, opens, highs, lows, closes, lots, auction)
    return DayData(day, opens, highs, lows, closes, lots, turnover, auction,
                   np.maximum.accumulate(highs).tolist(), np.minimum.accumulate(lows).tolist(),
                   np.cumsum(lots).tolist(), np.cumsum(turnover).tolist())  # fmt: skip


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


def _turnover(profile: Profile, opens: np.ndarray, highs: np.ndarray, lows: np.ndarray, closes: np.ndarray,
              lots: np.ndarray, auction: int) -> np.ndarray:  # fmt: skip
    """CNY per minute: sum over steps of (lots x 100 shares) x (price in cents / 100) = lots x cents."""
    up = closes >= opens
    points = np.stack([opens, np.where(up, lows, highs), np.where(up, highs, lows), closes], axis=1).astype(np.float64)
    continuous = lots.copy()
    continuous[0] -= auction
    per_step = continuous // STEPS
    remainder = continuous % STEPS
    total = np.zeros(MINUTES_PER_DAY, dtype=np.int64)
    for step, (j, a, b) in enumerate(_WEIGHTS):
        price = np.rint(a * points[:, j] + b * points[:, j + 1]).astype(np.int64)
        step_lots = per_step + (step < remainder)
        if step == 0:
            step_lots = step_lots.copy()
            step_lots[0] += auction
        total += step_lots * price
    if profile.info.kind == "index":
        return lots * 100 * _INDEX_PRICE_PER_SHARE
    return total.astype(np.float64)
