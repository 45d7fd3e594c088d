"""Preloading hot symbols (用户指南 预加载热点数据): latest quote, instrument info and recent daily bars.

Market data warms the cache levels with its own reads; the cache manager knows nothing of symbols.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from cachemgr.keys import history_key, instrument_info_key, latest_quote_key
from cachemgr.services.fetch import cache_fetch
from core import clock
from marketdata.payloads import quote_payload
from marketdata.sources import get_source

# Recent history preloaded: daily bars of the last this many calendar days.
HISTORY_DAYS = 30


@dataclass
class PreloadReport:
    loaded: dict[str, int] = field(default_factory=lambda: {"LATEST_DATA": 0, "BASIC_INFO": 0, "HISTORY_DATA": 0})
    unknown: list[str] = field(default_factory=list)


def _loaded(value: Any) -> Callable[[], Any]:
    return lambda: value


def _bar_dict(bar: Any) -> dict[str, Any]:
    return {name: value for name, value in dataclasses.asdict(bar).items() if name not in ("symbol", "period")}


def cache_preload(symbols: list[str]) -> PreloadReport:
    """Load `symbols` from the source into every level their rules name (refreshing what is there)."""
    source = get_source()
    report = PreloadReport()
    ticks = source.latest_ticks(symbols)
    end = clock.shanghai_today()
    start = end - timedelta(days=HISTORY_DAYS)
    for symbol in symbols:
        info = source.instrument(symbol)
        if info is None:
            report.unknown.append(symbol)
            continue
        cache_fetch("BASIC_INFO", instrument_info_key(symbol), _loaded(dataclasses.asdict(info)), use_cache=False)
        report.loaded["BASIC_INFO"] += 1
        tick = ticks.get(symbol)
        if tick is not None:
            payload = quote_payload(tick, name=info.name)
            cache_fetch("LATEST_DATA", latest_quote_key(symbol), _loaded(payload), use_cache=False)
            report.loaded["LATEST_DATA"] += 1
        bars = [_bar_dict(bar) for bar in source.bars(symbol, period="1d", start=start, end=end)]
        cache_fetch("HISTORY_DATA", history_key(symbol, "1d", start, end), _loaded(bars), use_cache=False)
        report.loaded["HISTORY_DATA"] += 1
    return report
