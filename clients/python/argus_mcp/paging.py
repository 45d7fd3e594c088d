"""`history()` in pages under the server's caps: symbol batches, then date windows, merged back.

The caps mirror the server's (marketdata/selectors/history.py; tests/clients checks they are
equal): at most 20 symbols per request, and trading days x bars per day x symbols at most 10,000
rows for intraday periods, 20,000 for 1d/1w/1mon. A request that fits is sent as it is; one that
does not is planned from the trading calendar (one `trading_dates` call) so every page fits.
Weekly and monthly pages start on a week's or month's first trading day, so no bar is split
between two pages.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from argus_mcp.results import MarketDataResult

HISTORY_MAX_SYMBOLS = 20
BARS_PER_DAY = {"1m": 240, "5m": 48, "15m": 16, "30m": 8, "1h": 4, "1d": 1, "1w": 1 / 5, "1mon": 1 / 20}
ROW_CAP = {"1m": 10_000, "5m": 10_000, "15m": 10_000, "30m": 10_000, "1h": 10_000}
ROW_CAP.update({"1d": 20_000, "1w": 20_000, "1mon": 20_000})
# Pulls of at least this many requests show a progress bar when tqdm is installed (progress=None).
PROGRESS_FROM = 5


@dataclass(frozen=True)
class Page:
    symbols: list[str]
    start: date
    end: date


def as_date(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def symbol_list(symbols: str | Iterable[str]) -> list[str]:
    items = symbols.split(",") if isinstance(symbols, str) else list(symbols)
    return list(dict.fromkeys(item.strip().upper() for item in items if item.strip()))


def fits(symbols: Sequence[str], start: date, end: date, period: str) -> bool:
    """Whether one request surely fits (calendar days bound trading days from above)."""
    if period not in ROW_CAP or len(symbols) > HISTORY_MAX_SYMBOLS:
        return period not in ROW_CAP and len(symbols) <= HISTORY_MAX_SYMBOLS  # unknown period: the server says
    days = (end - start).days + 1
    return math.ceil(days * BARS_PER_DAY[period]) * len(symbols) <= ROW_CAP[period]


def _units(days: Sequence[date], period: str) -> list[list[date]]:
    """Trading days grouped into what a page may not split: a day, or a week / month for 1w / 1mon."""
    groups: list[list[date]] = []
    for day in days:
        key = day.isocalendar()[:2] if period == "1w" else (day.year, day.month) if period == "1mon" else day
        if groups and (
            (period == "1w" and groups[-1][0].isocalendar()[:2] == key)
            or (period == "1mon" and (groups[-1][0].year, groups[-1][0].month) == key)
        ):
            groups[-1].append(day)
        else:
            groups.append([day])
    return groups


def plan(symbols: Sequence[str], trading_days: Sequence[date], period: str) -> list[Page]:
    """Pages covering every symbol over `trading_days`, each under the caps."""
    units = _units(sorted(trading_days), period)
    rows_per_unit = 1 if period in ("1w", "1mon") else BARS_PER_DAY[period]
    pages: list[Page] = []
    for first in range(0, len(symbols), HISTORY_MAX_SYMBOLS):
        batch = list(symbols[first : first + HISTORY_MAX_SYMBOLS])
        per_page = max(1, int(ROW_CAP[period] // (rows_per_unit * len(batch))))
        for at in range(0, len(units), per_page):
            chunk = units[at : at + per_page]
            pages.append(Page(batch, chunk[0][0], chunk[-1][-1]))
    return pages


def merge_pages(parts: Sequence[MarketDataResult], symbols: Sequence[str]) -> MarketDataResult:
    """One history result: each symbol's bars in order, totals summed, provenance of the whole."""
    data: dict[str, list[Any]] = {symbol: [] for symbol in symbols}
    anchors: dict[str, Any] = {}
    for part in parts:
        for symbol, bars in part.items():
            data.setdefault(symbol, []).extend(bars)
        for symbol, anchor in ((part.adjustment or {}).get("anchor_dates") or {}).items():
            if anchors.get(symbol) is None:
                anchors[symbol] = anchor
    if not parts:
        return MarketDataResult(data, {"total_records": 0})
    names = sorted({part.source for part in parts if part.source})
    stamps = [part.as_of for part in parts if part.as_of]
    ages = [part.cache_age_seconds for part in parts if part.cache_age_seconds is not None]
    last = parts[-1]
    adjustment = dict(last.adjustment or {})
    if adjustment:
        adjustment["anchor_dates"] = {symbol: anchors.get(symbol) for symbol in data}
    envelope = {
        **last.envelope,
        "source": {
            "source": ",".join(names) or None,
            "simulated": any(bool(part.simulated) for part in parts),
            # The newest bar's end, as one response's as_of is.
            "as_of": max(stamps, default=None),
        },
        "cache_hit": all(bool(part.cache_hit) for part in parts),
        "cache_age_seconds": max(ages, default=None),
        "response_time_ms": round(sum(part.response_time_ms or 0.0 for part in parts), 3),
        "total_records": sum(part.total_records or 0 for part in parts),
        "adjustment": adjustment or last.adjustment,
        "pages": len(parts),
    }
    return MarketDataResult(data, envelope)


def progress_bar(total: int, progress: bool | None, description: str) -> Any:
    """A tqdm bar for `total` requests, or None: progress=None shows one on long pulls if tqdm is installed."""
    if progress is False or (progress is None and total < PROGRESS_FROM):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress:
            raise ImportError("progress=True needs tqdm: pip install 'argus-mcp-client[progress]'") from None
        return None
    return tqdm(total=total, desc=description, unit="request")
