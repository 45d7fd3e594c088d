"""Preloading hot symbols (用户指南 预加载热点数据): latest quote, instrument info and recent daily bars.

Market data warms the cache levels with its own reads; the cache manager knows nothing of symbols.
It calls the very selectors the API serves from (with `use_cache=False`, which refreshes every
level), so what it stores has the API's shapes and keys: a preloaded value is served exactly as a
fresh one would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from core import clock
from core.errors import ApiError
from marketdata.selectors import history_bars, instrument_details, latest_quotes
from marketdata.selectors.common import directory, source_identity
from marketdata.sources.base import SourceError

# Recent history preloaded: daily bars of the last this many calendar days, to today (Shanghai),
# the window `GET history?start_date=<today-30>&end_date=<today>` asks for.
HISTORY_DAYS = 30


@dataclass
class PreloadReport:
    loaded: dict[str, int] = field(default_factory=lambda: {"LATEST_DATA": 0, "BASIC_INFO": 0, "HISTORY_DATA": 0})
    unknown: list[str] = field(default_factory=list)


def cache_preload(symbols: list[str]) -> PreloadReport:
    """Load `symbols` from the source into every level their rules name (refreshing what is there)."""
    report = PreloadReport()
    known = directory.names(symbols, simulated=source_identity()[1])
    wanted = [symbol for symbol in dict.fromkeys(symbols) if symbol in known]
    report.unknown = [symbol for symbol in symbols if symbol not in known]
    end = clock.shanghai_today()
    start = end - timedelta(days=HISTORY_DAYS)
    for symbol in wanted:
        try:
            latest_quotes(symbols=[symbol], use_cache=False)
            report.loaded["LATEST_DATA"] += 1
        except (ApiError, SourceError):  # no quote in this source (e.g. never traded there)
            pass
        try:
            instrument_details(symbols=[symbol], use_cache=False)
            report.loaded["BASIC_INFO"] += 1
        except (ApiError, SourceError):  # the source does not know it after all
            report.unknown.append(symbol)
            continue
        try:
            history_bars(symbols=[symbol], start=start, end=end, period="1d", adjust="none", use_cache=False)
            report.loaded["HISTORY_DATA"] += 1
        except (ApiError, SourceError):  # e.g. a calendar that does not cover today: nothing to preload
            pass
    return report
