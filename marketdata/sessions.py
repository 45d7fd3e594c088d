"""Trading sessions of the A-share markets: exchange time (Asia/Shanghai) at the edges, UTC inside.

A trading day has a 09:15-09:25 call auction that sets the open, continuous trading 09:30-11:30
and 13:00-15:00 (the last three minutes are the closing auction), so 240 one-minute bars. Bars
are stamped at their END, as xtquant stamps them: the first is 09:31, the last 15:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from marketdata.sources.base import Phase, TradingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
AUCTION_START = time(9, 15)
AUCTION_END = time(9, 25)
MORNING = (time(9, 30), time(11, 30))
AFTERNOON = (time(13, 0), time(15, 0))
CLOSING_AUCTION_START = time(14, 57)
MINUTES_PER_SESSION = 120
MINUTES_PER_DAY = 2 * MINUTES_PER_SESSION
SECONDS_PER_DAY = MINUTES_PER_DAY * 60


def exchange_moment(day: date, clock: time) -> datetime:
    """A Shanghai wall-clock time on `day`, as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=SHANGHAI).astimezone(UTC)


def shanghai(moment: datetime) -> datetime:
    """`moment` (aware) in exchange time."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(SHANGHAI)


def session_bounds(day: date) -> tuple[datetime, datetime]:
    """Start (09:30) and end (15:00) of continuous trading on `day`, in UTC."""
    return exchange_moment(day, MORNING[0]), exchange_moment(day, AFTERNOON[1])


@lru_cache(maxsize=512)
def trading_minutes(day: date) -> tuple[datetime, ...]:
    """The 240 one-minute bar END times of `day` in UTC: 09:31 ... 11:30, 13:01 ... 15:00."""
    morning = exchange_moment(day, MORNING[0])
    afternoon = exchange_moment(day, AFTERNOON[0])
    return tuple(morning + timedelta(minutes=i + 1) for i in range(MINUTES_PER_SESSION)) + tuple(
        afternoon + timedelta(minutes=i + 1) for i in range(MINUTES_PER_SESSION)
    )


def minute_start(day: date, index: int) -> datetime:
    """Start (UTC) of the trading minute `index` (0-239) of `day`."""
    session_open = MORNING[0] if index < MINUTES_PER_SESSION else AFTERNOON[0]
    return exchange_moment(day, session_open) + timedelta(minutes=index % MINUTES_PER_SESSION)


def continuous_seconds(moment: datetime) -> float:
    """Seconds of continuous trading elapsed on the exchange day of `moment` (0 to 14400)."""
    local = shanghai(moment)
    seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    morning = _clamp(seconds - 9.5 * 3600, 0, 7200)
    afternoon = _clamp(seconds - 13 * 3600, 0, 7200)
    return morning + afternoon


def moment_at_offset(day: date, offset: float) -> datetime:
    """The UTC moment when `offset` seconds (0-14400) of continuous trading have elapsed on `day`."""
    offset = _clamp(offset, 0, SECONDS_PER_DAY)
    if offset < 7200:
        return exchange_moment(day, MORNING[0]) + timedelta(seconds=offset)
    return exchange_moment(day, AFTERNOON[0]) + timedelta(seconds=offset - 7200)


def phase_at(moment: datetime, market: str, calendar: TradingCalendar) -> Phase:
    """Where `market` is in its day at `moment`."""
    local = shanghai(moment)
    if not calendar.is_trading_day(market, local.date()):
        return Phase.NON_TRADING_DAY
    clock = local.time()
    if clock < AUCTION_START:
        return Phase.PRE_OPEN
    if clock < AUCTION_END:
        return Phase.CALL_AUCTION
    if clock < MORNING[0]:
        return Phase.PRE_CONTINUOUS
    if clock < MORNING[1]:
        return Phase.CONTINUOUS
    if clock < AFTERNOON[0]:
        return Phase.LUNCH_BREAK
    if clock < CLOSING_AUCTION_START:
        return Phase.CONTINUOUS
    if clock < AFTERNOON[1]:
        return Phase.CLOSING_AUCTION
    return Phase.CLOSED


def is_in_session(moment: datetime, market: str = "SH", calendar: TradingCalendar | None = None) -> bool:
    """True while orders match: the call auction, continuous trading and the closing auction."""
    if calendar is None:
        from marketdata.calendar import db_calendar

        calendar = db_calendar
    return phase_at(moment, market, calendar) in (Phase.CALL_AUCTION, Phase.CONTINUOUS, Phase.CLOSING_AUCTION)


def next_open(moment: datetime, market: str, calendar: TradingCalendar) -> datetime | None:
    """The next start of continuous trading (09:30 or 13:00) strictly after `moment`; None past the calendar."""
    local = shanghai(moment)
    day = local.date()
    if calendar.is_trading_day(market, day):
        for start in (MORNING[0], AFTERNOON[0]):
            candidate = exchange_moment(day, start)
            if candidate > moment:
                return candidate
    following = calendar.trading_days(market, day + timedelta(days=1), day + timedelta(days=400))
    return exchange_moment(following[0], MORNING[0]) if following else None


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
