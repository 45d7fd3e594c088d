"""The simulated market's calendar: the real one while it is known, provisional weekdays beyond it.

Only the simulated market may go on trading past the calendar's coverage (it invents prices anyway,
and the embedded default must keep moving in January); it then says `calendar: provisional`
(its health detail, the feed's market status pushes). REST and MCP calendar answers never use
this: past coverage they refuse with a 400 (marketdata.selectors.common.check_coverage).
"""

from __future__ import annotations

from datetime import date, timedelta

from marketdata.sources.base import TradingCalendar


class ProvisionalCalendar:
    """`inner`'s days up to its coverage end; after it, every weekday is a (provisional) trading day."""

    def __init__(self, inner: TradingCalendar) -> None:
        self.inner = inner

    def covered_until(self, market: str) -> date | None:
        market_of = getattr(self.inner, "market", None)
        return market_of(market).end if market_of is not None else None

    def is_provisional(self, market: str, day: date) -> bool:
        """True when `day` lies past the known calendar (so its trading is provisional)."""
        end = self.covered_until(market)
        return end is not None and day > end

    def is_trading_day(self, market: str, day: date) -> bool:
        if self.is_provisional(market, day):
            return day.weekday() < 5
        return self.inner.is_trading_day(market, day)

    def trading_days(self, market: str, start: date, end: date) -> list[date]:
        covered = self.covered_until(market)
        if covered is None or end <= covered:
            return self.inner.trading_days(market, start, end)
        days = self.inner.trading_days(market, start, covered) if start <= covered else []
        day = max(start, covered + timedelta(days=1))
        while day <= end:
            if day.weekday() < 5:
                days.append(day)
            day += timedelta(days=1)
        return days
