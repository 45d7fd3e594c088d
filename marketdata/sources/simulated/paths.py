"""Daily price paths: yearly anchors, a bridged random walk per year, limits, suspensions, actions.

Computing day D never simulates from the listing day: each year's log-price walk is a Brownian
bridge between two deterministic yearly anchors, so a year needs only its own draws and its
neighbour's year-end. The only sequential step (clipping at the daily limits, ex-rights
references) runs over one year. Raw prices carry the corporate actions through a factor K: the
walk is in adjusted terms and K makes raw prices jump down on ex-dates, exactly like real data.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from math import exp

import numpy as np

from marketdata.sources.base import TradingCalendar
from marketdata.sources.simulated.universe import Profile, rng

REFERENCE_YEAR = 2025  # raw prices equal the adjusted walk at the end of this year
_SPLITS = (0.2, 0.3, 0.4, 0.5, 1.0)  # bonus shares per share held
_LAST_YEAR = 2060
_QUIET_TAIL = 5  # the last weekdays of a year: no limit moves or suspensions, so year-ends join


@dataclass(frozen=True, slots=True)
class Action:
    ex_date: date
    dividend_yield: float  # cash per share as a fraction of the previous close
    share_ratio: float

    @property
    def log_factor(self) -> float:
        return math.log((1 - self.dividend_yield) / (1 + self.share_ratio))


@dataclass(frozen=True, slots=True)
class YearPath:
    """One symbol's trading days of one year, prices in units of its tick (cents; an ETF's 0.001)."""

    days: tuple[date, ...]
    prev_close: tuple[int, ...]  # the ex-rights reference on ex-dates
    close: tuple[int, ...]
    suspended: tuple[bool, ...]
    cash: dict[date, int]  # ex-date -> cash dividend per share, in price units

    def index(self, day: date) -> int | None:
        position = bisect_right(self.days, day) - 1
        return position if position >= 0 and self.days[position] == day else None


def limits(prev: int, percent: int) -> tuple[int, int]:
    """(limit_down, limit_up) in price units (the tick): prev*(1±ratio) to the tick, halves rounded up,
    as `symbols.limit_prices_decimal` does (integers, so exact on either grid)."""
    return (prev * (100 - percent) + 50) // 100, (prev * (100 + percent) + 50) // 100


@lru_cache(maxsize=256)
def weekdays(year: int) -> tuple[date, ...]:
    start = date(year, 1, 1)
    days = (start + timedelta(days=n) for n in range(366))
    return tuple(day for day in days if day.year == year and day.weekday() < 5)


@lru_cache(maxsize=256)
def weekday_positions(year: int) -> dict[date, int]:
    return {day: position for position, day in enumerate(weekdays(year))}


class PathModel:
    """Deterministic daily paths for one seed, with per-process caches."""

    def __init__(self, seed: int, calendar: TradingCalendar) -> None:
        self.seed = seed
        self.calendar = calendar
        self.anchors = lru_cache(maxsize=20000)(self._anchors)
        self.table = lru_cache(maxsize=20000)(self._action_table)
        self.actions_of_year = lru_cache(maxsize=100000)(self._actions_of_year)
        self.latent = lru_cache(maxsize=20000)(self._latent)
        self.year = lru_cache(maxsize=20000)(self._year)

    def _anchors(self, profile: Profile) -> tuple[float, ...]:
        """Log price anchors at the start of each year from the listing year: an AR(1) around the base."""
        first = profile.first_year
        shocks = rng(self.seed, profile.key, "anchors").normal(0, profile.anchor_spread, _LAST_YEAR - first + 2)
        level, values, deviation = math.log(profile.base_price), [], 0.0
        for shock in shocks:
            deviation = 0.6 * deviation + float(shock)
            values.append(level + deviation)
        return tuple(values)

    def anchor(self, profile: Profile, year: int) -> float:
        first = profile.first_year
        values = self.anchors(profile)
        return values[min(max(year - first, 0), len(values) - 1)]

    def _action_table(self, profile: Profile) -> tuple[int, list[float], list[float], list[int], list[float]]:
        """Every year's dividend yield, split ratio and ex-date offset, drawn at once; and running log-factor sums."""
        first = (profile.info.list_date.year if profile.info.list_date else 1991) + 1
        u = rng(self.seed, profile.symbol, "actions").random((_LAST_YEAR - first + 1, 4))
        enabled = 1.0 if profile.has_actions else 0.0
        dividends = np.where(u[:, 0] < 0.55, np.round(0.004 + 0.026 * u[:, 1], 4), 0.0) * enabled
        splits = np.where(u[:, 2] < 0.08, np.array(_SPLITS)[(u[:, 3] * len(_SPLITS)).astype(int)], 0.0) * enabled
        running = np.cumsum(np.log((1 - dividends) / (1 + splits)))
        offsets = (u[:, 3] * 50).astype(int)
        return first, dividends.tolist(), splits.tolist(), offsets.tolist(), running.tolist()

    def _running_log(self, profile: Profile, year: int) -> float:
        """Sum of the actions' log factors from the listing up to and including `year`."""
        first, _, _, _, running = self.table(profile)
        return running[min(year - first, len(running) - 1)] if year >= first else 0.0

    def _actions_of_year(self, profile: Profile, year: int) -> tuple[Action, ...]:
        first, dividends, splits, offsets, _ = self.table(profile)
        index = year - first
        if not profile.has_actions or not 0 <= index < len(dividends) or (dividends[index] == splits[index] == 0):
            return ()
        around = date(year, 6, 1) + timedelta(days=offsets[index])
        days = self.calendar.trading_days(profile.market, around, around + timedelta(days=20))
        return (Action(days[0], dividends[index], splits[index]),) if days else ()

    def log_factor(self, profile: Profile, day: date) -> float:
        """log K(day): raw prices before the reference year's end are scaled up by the actions since."""
        return _log_factor(self._year_offset(profile, day.year), self.actions_of_year(profile, day.year), day)

    def _year_offset(self, profile: Profile, year: int) -> float:
        """The part of log K that other years' actions contribute (constant over `year`)."""
        if year <= REFERENCE_YEAR:
            return self._running_log(profile, year) - self._running_log(profile, REFERENCE_YEAR)
        return self._running_log(profile, year - 1) - self._running_log(profile, REFERENCE_YEAR)

    def _latent(self, profile: Profile, year: int) -> tuple[list[float], list[bool]]:
        """(log prices, suspended flags) per weekday of `year`, bridged from this year's anchor to the next."""
        n = len(weekdays(year))
        draw = rng(self.seed, profile.key, year, "walk")
        returns = draw.normal(0.0, profile.volatility, n)
        events = draw.random(n)
        halts = draw.random(n)
        returns[-_QUIET_TAIL:] *= 0.5
        if profile.ratio is not None and profile.has_actions:  # stocks; an ETF moves with its index
            body = slice(0, n - _QUIET_TAIL)
            returns[body] = np.where(events[body] < 0.006, math.log(1 + float(profile.ratio)) + 0.02, returns[body])
            returns[body] = np.where(events[body] > 0.996, math.log(1 - float(profile.ratio)) - 0.02, returns[body])
        walk = np.cumsum(returns)
        start, end = self.anchor(profile, year), self.anchor(profile, year + 1)
        bridge = start + walk - np.arange(1, n + 1) / n * (walk[-1] - (end - start))
        suspended = (halts < 0.003) & profile.has_actions
        suspended[-_QUIET_TAIL:] = False
        return bridge.tolist(), suspended.tolist()

    def _target(self, profile: Profile, day: date) -> int:
        """The unclipped close (price units) the walk points at on `day`."""
        bridge, _ = self.latent(profile, day.year)
        position = max(bisect_right(weekdays(day.year), day) - 1, 0)
        return _units(bridge[position] + self.log_factor(profile, day), profile.scale)

    def _year_start(self, profile: Profile, year: int, first: date) -> int:
        """The previous close of the year's first trading day: last year's pinned final close, or the IPO reference."""
        previous = self.calendar.trading_days(profile.market, date(year - 1, 12, 1), date(year - 1, 12, 31))
        listed = profile.info.list_date
        if previous and (listed is None or previous[-1] >= listed):
            return self._target(profile, previous[-1])
        return _units(self.anchor(profile, year) + self.log_factor(profile, first), profile.scale)

    def _year(self, profile: Profile, year: int) -> YearPath:
        listed = profile.info.list_date or date(1990, 12, 19)
        days = [
            d for d in self.calendar.trading_days(profile.market, date(year, 1, 1), date(year, 12, 31)) if d >= listed
        ]
        if not days:
            return YearPath((), (), (), (), {})
        bridge, halted = self.latent(profile, year)
        # Trading days are weekdays, so a day's place among the year's weekdays is a dictionary lookup.
        lookup, all_weekdays = weekday_positions(year), weekdays(year)
        positions = [lookup[day] if day in lookup else max(bisect_right(all_weekdays, day) - 1, 0) for day in days]
        offset, actions = self._year_offset(profile, year), self.actions_of_year(profile, year)
        factors = [_log_factor(offset, actions, day) for day in days] if actions else [offset] * len(days)
        scale = profile.scale
        targets = [max(1, round(exp(bridge[p] + f) * scale)) for p, f in zip(positions, factors, strict=True)]
        suspended = [halted[p] for p in positions]
        suspended[0] = False
        prev = self._year_start(profile, year, days[0])
        prevs, closes, cash = _clip(profile, actions[0] if actions else None, days, targets, suspended, prev)
        return YearPath(tuple(days), prevs, closes, tuple(suspended), cash)


def _clip(profile: Profile, action: Action | None, days: list[date], targets: list[int], suspended: list[bool],
          prev: int) -> tuple[tuple[int, ...], tuple[int, ...], dict[date, int]]:  # fmt: skip
    """The one sequential step: each close clipped to limits around the previous one (ex-rights on ex-dates)."""
    percent = round(float(profile.ratio) * 100) if profile.ratio is not None else None
    ex_date = action.ex_date if action is not None else None
    prevs, closes, cash = [], [], {}
    last = len(days) - 1
    for i, target in enumerate(targets):
        ref = prev
        if days[i] == ex_date and action is not None:
            cash[ex_date] = (prev * round(action.dividend_yield * 10000) + 5000) // 10000
            ref = max(1, round((prev - cash[ex_date]) / (1 + action.share_ratio)))
        if suspended[i]:
            close = ref
        elif percent is None or i == last:
            close = target
        else:
            low, high = (ref * (100 - percent) + 50) // 100, (ref * (100 + percent) + 50) // 100
            close = low if target < low else high if target > high else target
        prevs.append(ref)
        closes.append(close)
        prev = close
    return tuple(prevs), tuple(closes), cash


def _log_factor(offset: float, actions: tuple[Action, ...], day: date) -> float:
    if day.year <= REFERENCE_YEAR:
        return offset - sum(a.log_factor for a in actions if a.ex_date > day)
    return offset + sum(a.log_factor for a in actions if a.ex_date <= day)


def _units(log_price: float, scale: int) -> int:
    return max(1, round(math.exp(log_price) * scale))
