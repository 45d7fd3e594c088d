"""Trading sessions: minutes, phases and the next open, against the synced calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from marketdata.calendar import db_calendar
from marketdata.sessions import (
    SHANGHAI,
    is_in_session,
    next_open,
    phase_at,
    session_bounds,
    shanghai,
    trading_minutes,
)
from marketdata.sources.base import Phase


def at(day: date, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=SHANGHAI).astimezone(UTC)


def test_a_day_has_240_minutes_stamped_at_their_end() -> None:
    minutes = trading_minutes(date(2024, 6, 12))
    local = [shanghai(m).strftime("%H:%M") for m in minutes]
    assert len(minutes) == 240
    assert local[0] == "09:31" and local[119] == "11:30" and local[120] == "13:01" and local[-1] == "15:00"
    assert all(m.tzinfo is UTC or m.utcoffset().total_seconds() == 0 for m in minutes)
    assert minutes == tuple(sorted(set(minutes)))


def test_session_bounds_are_utc() -> None:
    start, end = session_bounds(date(2024, 6, 12))
    assert start == datetime(2024, 6, 12, 1, 30, tzinfo=UTC)
    assert end == datetime(2024, 6, 12, 7, 0, tzinfo=UTC)


def test_phases_through_a_trading_day(calendar: None) -> None:
    day = date(2024, 6, 12)
    expected = {
        (9, 0): Phase.PRE_OPEN,
        (9, 15): Phase.CALL_AUCTION,
        (9, 27): Phase.PRE_CONTINUOUS,
        (9, 30): Phase.CONTINUOUS,
        (11, 30): Phase.LUNCH_BREAK,
        (13, 0): Phase.CONTINUOUS,
        (14, 58): Phase.CLOSING_AUCTION,
        (15, 0): Phase.CLOSED,
    }
    for (hour, minute), phase in expected.items():
        assert phase_at(at(day, hour, minute), "SH", db_calendar) == phase, (hour, minute)


def test_holidays_and_weekends_do_not_trade(calendar: None) -> None:
    assert phase_at(at(date(2024, 10, 1), 10, 0), "SZ", db_calendar) == Phase.NON_TRADING_DAY
    assert phase_at(at(date(2024, 6, 15), 10, 0), "SH", db_calendar) == Phase.NON_TRADING_DAY
    assert not is_in_session(at(date(2024, 10, 1), 10, 0), "SH", db_calendar)
    assert is_in_session(at(date(2024, 6, 12), 10, 0), "SH", db_calendar)
    assert not is_in_session(at(date(2024, 6, 12), 12, 0), "SH", db_calendar)


def test_next_open(calendar: None) -> None:
    assert next_open(at(date(2024, 6, 12), 8, 0), "SH", db_calendar) == at(date(2024, 6, 12), 9, 30)
    assert next_open(at(date(2024, 6, 12), 12, 0), "SH", db_calendar) == at(date(2024, 6, 12), 13, 0)
    # After the close before the National Day holiday the next open is 8 October.
    assert next_open(at(date(2024, 9, 30), 15, 30), "SH", db_calendar) == at(date(2024, 10, 8), 9, 30)
