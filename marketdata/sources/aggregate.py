"""Bar aggregation shared by the sources: daily bars into weeks and months."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from marketdata.sources.base import Bar

MINUTES_PER_PERIOD = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60}


def period_start(day: date, period: str) -> date:
    """First calendar day of the week (Monday) or month holding `day`."""
    if period == "1w":
        return day - timedelta(days=day.weekday())
    if period == "1mon":
        return day.replace(day=1)
    raise ValueError(f"{period} is not a calendar period")


def aggregate_days(days: Iterable[Bar], period: str) -> list[Bar]:
    """Group daily bars (oldest first) into 1w or 1mon bars stamped at their last day's close."""
    key: Callable[[date], date] = lambda day: period_start(day, period)  # noqa: E731
    groups: list[list[Bar]] = []
    for bar in days:
        if groups and key(groups[-1][0].trading_day) == key(bar.trading_day):
            groups[-1].append(bar)
        else:
            groups.append([bar])
    return [merge(group, period) for group in groups]


def merge(group: list[Bar], period: str) -> Bar:
    """One bar from consecutive bars: first open, last close, extremes, sums."""
    last = group[-1]
    turnovers = [bar.turnover for bar in group]
    return Bar(
        symbol=last.symbol,
        period=period,
        trading_day=last.trading_day,
        time=last.time,
        open=group[0].open,
        high=max(bar.high for bar in group),
        low=min(bar.low for bar in group),
        close=last.close,
        volume=sum(bar.volume for bar in group),
        turnover=None if any(t is None for t in turnovers) else round(sum(t for t in turnovers if t is not None), 2),
    )
