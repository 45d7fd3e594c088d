"""Market-data reads (selectors): keyword-only, typed, cached through cachemgr, one payload contract."""

from marketdata.selectors.history import HISTORY_MAX_SYMBOLS, ROW_CAP, HistoryResult, history_bars
from marketdata.selectors.quotes import (
    FULL_MAX_SYMBOLS,
    LATEST_MAX_SYMBOLS,
    QuotesResult,
    full_snapshots,
    latest_quotes,
)
from marketdata.selectors.reference import (
    CALENDAR_MAX_DAYS,
    INSTRUMENT_MAX_SYMBOLS,
    CalendarResult,
    instrument_details,
    trading_calendar,
)

__all__ = [
    "CALENDAR_MAX_DAYS",
    "FULL_MAX_SYMBOLS",
    "HISTORY_MAX_SYMBOLS",
    "INSTRUMENT_MAX_SYMBOLS",
    "LATEST_MAX_SYMBOLS",
    "ROW_CAP",
    "CalendarResult",
    "HistoryResult",
    "QuotesResult",
    "full_snapshots",
    "history_bars",
    "instrument_details",
    "latest_quotes",
    "trading_calendar",
]
