"""The data-source interface: one ABC, frozen dataclasses out, vendor shapes never past an adapter.

Units everywhere past this module: prices in CNY as floats rounded to the 0.01 tick (the API
sends JSON numbers; the database keeps Decimals), volumes in shares, turnover in CNY,
times as timezone-aware UTC datetimes, trading days as dates in exchange time.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol

PERIODS = ("1m", "5m", "15m", "30m", "1h", "1d", "1w", "1mon")
INTRADAY_PERIODS = ("1m", "5m", "15m", "30m", "1h")


class SourceError(Exception):
    """A data source could not answer. Carries the spec's error code for the API layer."""

    error_code = "SERVICE_UNAVAILABLE"
    http_status = 503

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self.details = details


class SourceUnavailable(SourceError):
    """The source (or the node behind it) is down or unreachable; `details` says what was tried."""

    headers = {"Retry-After": "5"}


class SourceTimeout(SourceError):
    """The source (or every node behind it) did not answer within its deadline: 504 TIMEOUT."""

    error_code = "TIMEOUT"
    http_status = 504


class XtQuantUnavailable(SourceError):
    """xtquant cannot be imported here or MiniQMT does not answer."""

    error_code = "XTQUANT_ERROR"
    http_status = 500


class Phase(StrEnum):
    """Where a market is in its day (Asia/Shanghai)."""

    PRE_OPEN = "pre_open"
    CALL_AUCTION = "call_auction"  # 09:15-09:25
    PRE_CONTINUOUS = "pre_continuous"  # 09:25-09:30, orders accepted, no matching
    CONTINUOUS = "continuous"  # 09:30-11:30, 13:00-14:57
    LUNCH_BREAK = "lunch_break"
    CLOSING_AUCTION = "closing_auction"  # 14:57-15:00 on SZ and BJ (SH since 2018 too)
    CLOSED = "closed"
    NON_TRADING_DAY = "non_trading_day"


class TickStatus(StrEnum):
    TRADING = "trading"
    SUSPENDED = "suspended"
    LIMIT_UP = "limit_up"
    LIMIT_DOWN = "limit_down"
    CLOSED = "closed"  # end-of-day data: the tick is its trading_day's close, not a live session


@dataclass(frozen=True, slots=True)
class Level:
    price: float
    volume: int  # shares


@dataclass(frozen=True, slots=True)
class Tick:
    """A level-1 snapshot: the day's running OHLC, totals and at least 5 book levels each side."""

    symbol: str
    time: datetime
    trading_day: date
    price: float
    open: float
    high: float
    low: float
    prev_close: float | None  # None: the source does not know the previous close (never invented)
    volume: int
    turnover: float | None  # None: the source does not know it (an end-of-day file without amounts)
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    status: TickStatus = TickStatus.TRADING
    limit_up: float | None = None
    limit_down: float | None = None
    # Set by sources that replay another moment (the simulated "replay" clock): the exchange time
    # the snapshot reproduces, while `time` is when it was produced.
    simulated_time: datetime | None = None

    @property
    def change(self) -> float | None:
        # Three decimals: an ETF's 0.001 tick (a difference of two 0.01 prices is unchanged by it).
        return round(self.price - self.prev_close, 3) if self.prev_close is not None else None

    @property
    def change_pct(self) -> float | None:
        if not self.prev_close:  # unknown (or a zero close no ratio can be taken of)
            return None
        return round((self.price - self.prev_close) / self.prev_close * 100, 2)


@dataclass(frozen=True, slots=True)
class Trade:
    symbol: str
    time: datetime
    price: float
    volume: int
    direction: str  # "buy" (taker bought at the ask), "sell", or "neutral" (auction)


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar, unadjusted. `time` is the bar's end (xtquant's convention); daily bars end 15:00."""

    symbol: str
    period: str
    trading_day: date
    time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: int
    turnover: float | None


@dataclass(frozen=True, slots=True)
class InstrumentInfo:
    symbol: str
    name: str
    full_name: str
    board: str
    kind: str
    industry: str
    sector: str
    list_date: date | None
    total_shares: int | None
    float_shares: int | None
    is_st: bool = False
    status: str = "listed"
    # Fundamentals only when the source really has them; None is sent as null, never invented.
    pe_ratio: float | None = None
    pb_ratio: float | None = None
    dividend_yield: float | None = None


@dataclass(frozen=True, slots=True)
class CorporateAction:
    """Cash dividend and/or bonus shares per share, effective on `ex_date`."""

    symbol: str
    ex_date: date
    cash_dividend: float = 0.0
    share_ratio: float = 0.0


@dataclass(frozen=True, slots=True)
class SourceHealth:
    ok: bool
    detail: str
    latency_ms: float
    checked_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CalendarSpan:
    """What one calendar layer knows of a market: every day in [start, end] is open iff in `days`."""

    label: str  # where it came from, recorded on each day it decides
    start: date
    end: date
    days: frozenset[date]


class TradingCalendar(Protocol):
    """What a source needs to know about the calendar (implemented over the database tables)."""

    def is_trading_day(self, market: str, day: date) -> bool: ...

    def trading_days(self, market: str, start: date, end: date) -> list[date]: ...


def in_event_loop() -> bool:
    """Whether this thread runs an asyncio event loop (where nothing may block)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class DataSource(ABC):
    """One backend of market data. Subclasses take their OPTIONS as keyword arguments."""

    name: ClassVar[str]
    simulated: ClassVar[bool] = False
    # End-of-day data (daily closes, no session to show): the feed says `closed` with the data's day.
    end_of_day: ClassVar[bool] = False
    # Whether `bars` serves the intraday periods; where not, /history builds them from the tick
    # recorder's archive (marketdata/selectors/recorded_bars.py).
    intraday_bars: ClassVar[bool] = True

    def __init__(self, *, calendar: TradingCalendar, **options: Any) -> None:
        self.calendar = calendar

    def serves_simulated(self) -> bool:
        """Whether what this source serves is simulated: its class's flag, except where the source
        learns it from where its data comes from (a gateway from its nodes' answers)."""
        return self.simulated

    def replayed_day(self, now: datetime) -> date | None:
        """The trading day a replaying source shows at `now` (None: it shows the exchange's own time).
        Must not block in the event loop (a replaying source answers there from its last reading)."""
        return None

    def scope_token(self) -> str:
        """What makes this source's data differ beyond its settings (part of every cache key's scope,
        `cachemgr.keys.data_scope`): empty where the settings say it all (the simulated seed is an
        option). Must not block when called in the event loop."""
        return ""

    @abstractmethod
    def instruments(self) -> list[InstrumentInfo]:
        """Every instrument this source knows."""

    def instrument(self, symbol: str) -> InstrumentInfo | None:
        """One instrument, or None when the source does not know it."""
        return next((info for info in self.instruments() if info.symbol == symbol), None)

    @abstractmethod
    def latest_ticks(self, symbols: Sequence[str]) -> dict[str, Tick]:
        """The newest snapshot per symbol; symbols the source does not know are left out."""

    @abstractmethod
    def recent_trades(self, symbol: str, *, limit: int = 20) -> list[Trade]:
        """The most recent trades of the current (or last) session, newest first."""

    @abstractmethod
    def bars(self, symbol: str, *, period: str, start: date, end: date) -> list[Bar]:
        """Unadjusted bars whose trading day lies in [start, end], oldest first."""

    @abstractmethod
    def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        """Every known dividend/split of `symbol`, oldest first (used for price adjustment)."""

    def trading_dates(self, market: str, start: date, end: date) -> list[date]:
        """Trading days of `market` in [start, end]."""
        return self.calendar.trading_days(market, start, end)

    def own_calendar(self, market: str, after: date) -> CalendarSpan | None:
        """The source's own calendar of `market` for the days after `after`, where it has one (a layer
        `calendar_sync` lays beyond the package's coverage); None when it has none (the default)."""
        return None

    @abstractmethod
    def health(self) -> SourceHealth:
        """Probe the source for real and say how it went."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (sources that hold none need not override)."""


def validate_period(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"period {period!r} is not one of {', '.join(PERIODS)}")
