"""Instrument details (with a market cap priced from the latest quote) and the trading calendar."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

from cachemgr.keys import instrument_info_key
from cachemgr.services import cache_fetch
from core.errors import NotFound
from marketdata.calendar import db_calendar
from marketdata.models import CalendarCoverage
from marketdata.payloads import instrument_payload, provenance, provenance_of
from marketdata.selectors.common import CacheSummary, check_coverage, current_source, from_source, instrument_names
from marketdata.selectors.quotes import QuotesResult, latest_quotes
from marketdata.services.calendar import MARKET_OPENED, markets_open_in
from marketdata.sources.base import DataSource, InstrumentInfo

INSTRUMENT_MAX_SYMBOLS = 50
CALENDAR_MARKETS = ("SH", "SZ", "BJ")
CALENDAR_MAX_DAYS = 3660


def _info(source: DataSource, symbol: str) -> dict[str, Any]:
    info: InstrumentInfo | None = from_source(source, f"instrument {symbol}", lambda: source.instrument(symbol))
    if info is None:
        raise NotFound(f"{symbol}: the source '{source.name}' does not know this instrument")
    return instrument_payload(info, price=None)


def instrument_details(*, symbols: Sequence[str], use_cache: bool = True) -> QuotesResult:
    """The spec's instrument detail per symbol; market_cap = latest price x total shares."""
    instrument_names(symbols)
    source = current_source()
    summary = CacheSummary()
    details: dict[str, dict[str, Any]] = {}
    for symbol in symbols:
        result = cache_fetch(
            "BASIC_INFO", instrument_info_key(symbol), partial(_info, source, symbol), use_cache=use_cache
        )
        details[symbol] = dict(summary.add(result))
    prices = latest_quotes(symbols=symbols, fields=("price", "timestamp"), use_cache=use_cache)
    summary.hit = summary.hit and prices.cache_hit
    for symbol, detail in details.items():
        price, shares = prices.data[symbol]["price"], detail["total_shares"]
        detail["market_cap"] = round(price * shares, 2) if price is not None and shares else None
    return QuotesResult(
        data=details,
        cache_hit=summary.hit,
        cache_age_seconds=max(filter(None, (summary.age_seconds, prices.cache_age_seconds)), default=None),
        source=provenance(source, as_of=prices.source["as_of"]),
    )


@dataclass(frozen=True, slots=True)
class CalendarResult:
    trading_dates: list[str]
    total_days: int
    holidays: list[str]
    source: dict[str, Any]


def trading_calendar(*, market: str, start: date, end: date) -> CalendarResult:
    """Trading days and non-trading calendar days (weekends included) in [start, end] for SH, SZ, BJ or ALL."""
    # ALL means the markets that existed: before BJ opened (2021-11-15) that is SH and SZ, and each
    # market's coverage is checked from its opening day on.
    markets = markets_open_in(start, end) if market == "ALL" else (market,)
    for code in markets:
        check_coverage((code,), max(start, MARKET_OPENED[code]) if market == "ALL" else start, end)
    open_days: set[date] = set()
    for code in markets:
        open_days.update(db_calendar.trading_days(code, start, end))
    every_day = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    coverage = list(CalendarCoverage.objects.filter(market__in=markets).order_by("synced_at"))
    origin = ", ".join(sorted({row.source for row in coverage}))
    return CalendarResult(
        trading_dates=[day.isoformat() for day in every_day if day in open_days],
        total_days=len(open_days),
        holidays=[day.isoformat() for day in every_day if day not in open_days],
        source=provenance_of(
            f"calendar ({origin})", simulated=False, as_of=coverage[-1].synced_at if coverage else None
        ),
    )
