"""The trading calendar as the rest of Argus reads it: synced days plus operators' overrides.

Each process keeps the calendar of a market in memory (a few thousand dates) and reloads it
when the shared version number changes: `calendar_sync` and override edits bump it, so an edit
in the admin reaches every process within `_RECHECK_SECONDS`. While Redis (L2) is failing, the
version cannot be read: the process keeps the calendar it has, and reloads it once Redis is back
(a change made meanwhile could not be announced).

A sync also stamps the database (`CalendarCoverage.synced_at`), and the recheck reads that stamp
too: in the embedded default L2 is each process's own memory, so a sync or holiday import run by
`manage.py` in another process bumps only its own copy of the version; the stamp is how a running
server sees it (and, with Redis, a sync made while Redis was down). The stamp is not read from code
running in the event loop (no database calls there); the next recheck on a thread reads it.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime

from django.db import DatabaseError
from django.db.models import Max

from cachemgr.keys import calendar_version_key
from cachemgr.services.backends import L2Unavailable, l2_value
from marketdata.models import CalendarCoverage, CalendarOverride, TradingDay

_RECHECK_SECONDS = 5.0
_UNKNOWN = object()  # the version while L2 could not be read: whatever is read next differs


@dataclass(frozen=True)
class MarketCalendar:
    market: str
    days: tuple[date, ...]  # sorted trading days, overrides applied
    start: date | None  # coverage
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start is not None and self.end is not None and self.start <= day <= self.end


class DbCalendar:
    """TradingCalendar over the database tables, cached per process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._markets: dict[str, MarketCalendar] = {}
        self._sets: dict[str, frozenset[date]] = {}
        self._version: object = None
        self._stamp: datetime | None = None  # the last sync's time in the database, as of the last recheck
        self._checked = 0.0

    def _fresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < _RECHECK_SECONDS:
            return
        try:
            version = l2_value(calendar_version_key(), 0)
        except L2Unavailable:
            with self._lock:
                self._version = _UNKNOWN  # keep serving this calendar; reload once Redis answers
            return
        stamp = self._stamp
        if not _in_event_loop():
            with contextlib.suppress(DatabaseError):  # the database is failing: go by the version alone
                stamp = CalendarCoverage.objects.aggregate(last=Max("synced_at"))["last"]
        with self._lock:
            self._checked = now
            if version != self._version or stamp != self._stamp:
                self._markets.clear()
                self._sets.clear()
                self._version = version
                self._stamp = stamp

    def market(self, market: str) -> MarketCalendar:
        """The whole calendar of one market."""
        self._fresh()
        loaded = self._markets.get(market)
        if loaded is None:
            loaded = _load(market)
            with self._lock:
                self._markets[market] = loaded
                self._sets[market] = frozenset(loaded.days)
        return loaded

    def is_trading_day(self, market: str, day: date) -> bool:
        self.market(market)
        return day in self._sets[market]

    def trading_days(self, market: str, start: date, end: date) -> list[date]:
        days = self.market(market).days
        return list(days[bisect.bisect_left(days, start) : bisect.bisect_right(days, end)])

    def previous_trading_day(self, market: str, day: date) -> date | None:
        """The last trading day strictly before `day`."""
        days = self.market(market).days
        index = bisect.bisect_left(days, day)
        return days[index - 1] if index > 0 else None

    def next_trading_day(self, market: str, day: date) -> date | None:
        """The first trading day strictly after `day`."""
        days = self.market(market).days
        index = bisect.bisect_right(days, day)
        return days[index] if index < len(days) else None

    def invalidate(self) -> None:
        with self._lock:
            self._markets.clear()
            self._sets.clear()
            self._checked = 0.0


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _load(market: str) -> MarketCalendar:
    days = set(TradingDay.objects.filter(market=market).values_list("date", flat=True))
    for override in CalendarOverride.objects.filter(market=market):
        if override.is_trading:
            days.add(override.date)
        else:
            days.discard(override.date)
    coverage = CalendarCoverage.objects.filter(market=market).first()
    return MarketCalendar(
        market=market,
        days=tuple(sorted(days)),
        start=coverage.start if coverage else None,
        end=coverage.end if coverage else None,
    )


db_calendar = DbCalendar()
