"""The simulated source: a deterministic A-share market for a seed (see the README's "Data sources")."""

from __future__ import annotations

import time as clock
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import ClassVar

import numpy as np

from core import clock as core_clock
from marketdata.sessions import (
    AFTERNOON,
    AUCTION_END,
    AUCTION_START,
    MORNING,
    SECONDS_PER_DAY,
    continuous_seconds,
    exchange_moment,
    moment_at_offset,
    shanghai,
    trading_minutes,
)
from marketdata.sources.aggregate import MINUTES_PER_PERIOD, aggregate_days, period_start
from marketdata.sources.base import (
    Bar,
    CorporateAction,
    DataSource,
    InstrumentInfo,
    SourceHealth,
    Tick,
    Trade,
    TradingCalendar,
    in_event_loop,
    validate_period,
)
from marketdata.sources.simulated.calendar import ProvisionalCalendar
from marketdata.sources.simulated.intraday import DayData, build_day
from marketdata.sources.simulated.paths import PathModel, limits
from marketdata.sources.simulated.ticks import (
    AUCTION_STEPS,
    CLOSED,
    OPENED,
    DayPrices,
    Position,
    snapshot,
    trades_before,
)
from marketdata.sources.simulated.universe import Profile, build_universe

CLOCKS = ("real", "replay")
_STEP_SECONDS = 3


class SimulatedSource(DataSource):
    """A deterministic simulated market: same seed and moment, same answer in every process."""

    name: ClassVar[str] = "simulated"
    simulated: ClassVar[bool] = True
    calendar: ProvisionalCalendar

    def __init__(self, *, calendar: TradingCalendar, seed: int = 0, universe_size: int = 4000, clock: str = "real",
                 book_depth: int = 20) -> None:  # fmt: skip
        # Past the calendar's coverage the simulated market trades on provisional weekdays (see calendar.py).
        super().__init__(calendar=ProvisionalCalendar(calendar))
        if clock not in CLOCKS:
            raise ValueError(f"clock must be one of {', '.join(CLOCKS)}, not {clock!r}")
        if not 1 <= int(universe_size) <= 20000:
            raise ValueError(f"universe_size must be between 1 and 20000, not {universe_size}")
        if not 5 <= int(book_depth) <= 20:
            raise ValueError(f"book_depth must be between 5 and 20, not {book_depth}")
        self.seed, self.clock, self.book_depth = int(seed), clock, int(book_depth)
        self.universe_size = int(universe_size)
        self._profiles: dict[str, Profile] | None = None
        self.paths = PathModel(self.seed, self.calendar)
        self._day_data = lru_cache(maxsize=max(8192, 2 * self.universe_size))(self._build_day)
        self._daily = lru_cache(maxsize=400000)(self._daily_values)
        self._prices = lru_cache(maxsize=max(8192, 2 * self.universe_size))(self._day_prices)

    # --- universe -------------------------------------------------------------------------
    @property
    def profiles(self) -> dict[str, Profile]:
        if self._profiles is None:
            self._profiles = {p.symbol: p for p in build_universe(self.seed, self.universe_size)}
        return self._profiles

    def instruments(self) -> list[InstrumentInfo]:
        """Every simulated instrument: the spec's real names first, then generated ones."""
        return [profile.info for profile in self.profiles.values()]

    def instrument(self, symbol: str) -> InstrumentInfo | None:
        """One instrument by symbol (a dictionary lookup)."""
        profile = self.profiles.get(symbol)
        return profile.info if profile else None

    # --- days -----------------------------------------------------------------------------
    def day_prices(self, profile: Profile, day: date) -> DayPrices | None:
        """The day's reference price, close and limits in price units (the tick); None if the symbol did not trade."""
        return self._prices(profile, day)

    def _day_prices(self, profile: Profile, day: date) -> DayPrices | None:
        path = self.paths.year(profile, day.year)
        index = path.index(day)
        if index is None:
            return None
        prev = path.prev_close[index]
        percent = round(float(profile.ratio) * 100) if profile.ratio is not None else None
        low, high = limits(prev, percent) if percent is not None else (None, None)
        return DayPrices(prev, path.close[index], path.suspended[index], low, high)

    def _build_day(self, profile: Profile, day: date) -> DayData | None:
        prices = self._prices(profile, day)
        if prices is None or prices.suspended:
            return None
        low, high = prices.low_limit or 1, prices.high_limit or (1 << 40)
        return build_day(profile, self.seed, day, prices.prev, prices.close, low, high)

    def _daily_values(self, profile: Profile, day: date) -> tuple[int, int, int, int, int, float] | None:
        data = self._day_data(profile, day)
        if data is None:
            return None
        return (int(data.open[0]), int(data.high.max()), int(data.low.min()), int(data.close[-1]),
                int(data.lots.sum()) * 100, round(float(data.turnover.sum()), 2))  # fmt: skip

    def last_complete_day(self, now: datetime, market: str = "SH") -> date | None:
        """The most recent trading day whose session has closed at `now`."""
        local = shanghai(now)
        days = self.calendar.trading_days(market, local.date() - timedelta(days=40), local.date())
        if days and days[-1] == local.date() and local.time() < AFTERNOON[1]:
            days.pop()
        return days[-1] if days else None

    # --- clock ----------------------------------------------------------------------------
    def replayed_day(self, now: datetime) -> date | None:
        """With the replay clock, the session replayed at `now`; in the event loop the last one seen
        (position_at records it on every tick, feed poll and answer)."""
        if self.clock != "replay":
            return None
        if in_event_loop():
            return getattr(self, "_replayed", None)
        where = self.position_at(now)
        return where[0].day if where is not None else None

    def position_at(self, moment: datetime, market: str = "SH") -> tuple[Position, datetime] | None:
        """Which simulated day/minute/step `moment` shows, and the exchange moment it reproduces."""
        where = self._position_at(moment, market)
        if self.clock == "replay" and where is not None:
            self._replayed: date | None = where[0].day  # for replayed_day in the event loop
        return where

    def _position_at(self, moment: datetime, market: str = "SH") -> tuple[Position, datetime] | None:
        if self.clock == "replay":
            day = self.last_complete_day(moment, market)
            if day is None:
                return None
            local = shanghai(moment)
            offset = (local.hour * 3600 + local.minute * 60 + local.second) % SECONDS_PER_DAY
            moment = moment_at_offset(day, offset - offset % _STEP_SECONDS)
        local = shanghai(moment)
        day, wall = local.date(), local.time()
        if not self.calendar.is_trading_day(market, day) or wall < AUCTION_START:
            previous = self.calendar.trading_days(market, day - timedelta(days=40), day - timedelta(days=1))
            if not previous:
                return None
            return Position(previous[-1], 239, CLOSED), exchange_moment(previous[-1], AFTERNOON[1])
        if wall < AUCTION_END:
            seconds = (local.minute - 15) * 60 + local.second
            step = min(seconds // _STEP_SECONDS, AUCTION_STEPS - 1)
            return Position(day, -1, step), _floor(moment)
        if wall < MORNING[0]:
            return Position(day, 0, OPENED), _floor(moment)
        if MORNING[1] <= wall < AFTERNOON[0]:
            return Position(day, 119, 19), exchange_moment(day, MORNING[1])
        if wall >= AFTERNOON[1]:
            return Position(day, 239, CLOSED), exchange_moment(day, AFTERNOON[1])
        elapsed = int(continuous_seconds(moment))
        return Position(day, elapsed // 60, elapsed % 60 // _STEP_SECONDS), _floor(moment)

    # --- snapshots ------------------------------------------------------------------------
    def ticks_at(self, symbols: Sequence[str], moment: datetime) -> dict[str, Tick]:
        """Snapshots as of `moment` (the clock mode decides what `moment` shows)."""
        ticks: dict[str, Tick] = {}
        located: dict[str, tuple[Position, datetime] | None] = {}
        for symbol in symbols:
            profile = self.profiles.get(symbol)
            if profile is None:
                continue
            if profile.market not in located:
                located[profile.market] = self.position_at(moment, profile.market)
            where = located[profile.market]
            if where is None:
                continue
            at, simulated = where
            prices = self._prices(profile, at.day)
            if prices is None:
                continue
            produced = _floor(moment) if self.clock == "replay" else simulated
            data = self._day_data(profile, at.day)
            ticks[symbol] = snapshot(profile, data, prices, at, self.book_depth, self.seed, produced,
                                     simulated if self.clock == "replay" else None)  # fmt: skip
        return ticks

    def latest_ticks(self, symbols: Sequence[str]) -> dict[str, Tick]:
        """Snapshots now: a new one every 3 seconds during a (real or replayed) session."""
        return self.ticks_at(symbols, core_clock.now())

    def trades_at(self, symbol: str, moment: datetime, *, limit: int = 20) -> list[Trade]:
        """Trades of the day shown at `moment`, newest first (none for an index)."""
        profile = self.profiles.get(symbol)
        if profile is None or not profile.has_book:  # an index is computed, never traded: no trades
            return []
        where = self.position_at(moment, profile.market)
        if where is None:
            return []
        data = self._day_data(profile, where[0].day)
        return trades_before(profile, data, where[0], limit) if data is not None else []

    def recent_trades(self, symbol: str, *, limit: int = 20) -> list[Trade]:
        """The current (or last) session's trades up to now, newest first; each 3-second step is one trade."""
        return self.trades_at(symbol, core_clock.now(), limit=limit)

    # --- history --------------------------------------------------------------------------
    def bars(self, symbol: str, *, period: str, start: date, end: date) -> list[Bar]:
        """Completed sessions only: days up to the last closed session (in replay: the replayed day)."""
        validate_period(period)
        profile = self.profiles.get(symbol)
        cutoff = self.last_complete_day(core_clock.now())
        if profile is None or cutoff is None:
            return []
        last = min(end, cutoff)
        if period in MINUTES_PER_PERIOD:
            return self._intraday_bars(profile, period, start, last)
        first = period_start(start, period) if period != "1d" else start
        days = self._daily_bars(profile, first, last)
        if period == "1d":
            return days
        return [bar for bar in aggregate_days(days, period) if start <= bar.trading_day]

    def _trading_days(self, profile: Profile, start: date, end: date) -> list[date]:
        return self.calendar.trading_days(profile.market, start, end) if start <= end else []

    def _daily_bars(self, profile: Profile, start: date, end: date) -> list[Bar]:
        bars = []
        for day in self._trading_days(profile, start, end):
            values = self._daily(profile, day)
            if values is None:
                continue
            o, h, low, c, volume, turnover = values
            s = profile.scale
            bars.append(Bar(profile.symbol, "1d", day, exchange_moment(day, AFTERNOON[1]),
                            o / s, h / s, low / s, c / s, volume, turnover))  # fmt: skip
        return bars

    def _intraday_bars(self, profile: Profile, period: str, start: date, end: date) -> list[Bar]:
        size = MINUTES_PER_PERIOD[period]
        bars: list[Bar] = []
        for day in self._trading_days(profile, start, end):
            data = self._day_data(profile, day)
            if data is None:
                continue
            s = profile.scale
            opens = (data.open[::size] / s).tolist()
            closes = (data.close[size - 1 :: size] / s).tolist()
            highs = (data.high.reshape(-1, size).max(axis=1) / s).tolist()
            lows = (data.low.reshape(-1, size).min(axis=1) / s).tolist()
            volumes = (data.lots.reshape(-1, size).sum(axis=1) * 100).tolist()
            turnovers = np.round(data.turnover.reshape(-1, size).sum(axis=1), 2).tolist()
            ends = trading_minutes(day)[size - 1 :: size]
            bars.extend(
                Bar(profile.symbol, period, day, *row)
                for row in zip(ends, opens, highs, lows, closes, volumes, turnovers, strict=True)
            )
        return bars

    def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        """Cash dividends and bonus shares up to today, oldest first."""
        profile = self.profiles.get(symbol)
        if profile is None or not profile.has_actions or profile.info.list_date is None:
            return []
        today = shanghai(core_clock.now()).date()
        actions = []
        for year in range(profile.info.list_date.year + 1, today.year + 1):
            cash = self.paths.year(profile, year).cash
            for action in self.paths.actions_of_year(profile, year):
                if action.ex_date <= today and action.ex_date in cash:
                    cash_per_share = cash[action.ex_date] / profile.scale
                    actions.append(CorporateAction(symbol, action.ex_date, cash_per_share, action.share_ratio))
        return actions

    def health(self) -> SourceHealth:
        """Generate one snapshot of the first instrument and time it."""
        started = clock.perf_counter()
        symbol = next(iter(self.profiles))
        ticks = self.latest_ticks([symbol])
        elapsed = (clock.perf_counter() - started) * 1000
        ok = symbol in ticks
        detail = f"generated a {symbol} snapshot" if ok else "no trading day in the calendar: run load_reference_data"
        extra = {"instruments": len(self.profiles), "clock": self.clock, "seed": self.seed}
        if self.calendar.is_provisional("SH", core_clock.shanghai_today()):
            until = self.calendar.covered_until("SH")
            detail += f"; calendar: provisional (weekdays past the calendar's end {until})"
            extra["calendar"] = "provisional"
        return SourceHealth(ok, detail, elapsed, core_clock.now(), extra)


def _floor(moment: datetime) -> datetime:
    """`moment` down to its 3-second step, so every call within a step returns the same snapshot."""
    return moment.replace(microsecond=0) - timedelta(seconds=moment.second % _STEP_SECONDS)
