"""History bars: trading days only, capped per request, optionally adjusted, cached per window."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

from cachemgr.keys import history_key
from cachemgr.services import CacheResult, Peeked, cache_count, cache_fetch, cache_peek
from core import clock
from core.errors import InvalidParameter
from marketdata.calendar import db_calendar
from marketdata.payloads import bar_payload, iso_utc, provenance_of
from marketdata.selectors.adjustment import Factors, adjustment_factors
from marketdata.selectors.common import (
    CacheSummary,
    check_coverage,
    current_source,
    from_source,
    instrument_names,
    source_identity,
    source_intraday_bars,
)
from marketdata.selectors.recorded_bars import recorded_bars, recorded_days_between
from marketdata.sources.base import INTRADAY_PERIODS, DataSource
from marketdata.symbols import market_of, price_digits

HISTORY_MAX_SYMBOLS = 20
# Bars per trading day (A-shares trade 240 minutes a day) and the most rows one request returns.
BARS_PER_DAY = {"1m": 240, "5m": 48, "15m": 16, "30m": 8, "1h": 4, "1d": 1, "1w": 1 / 5, "1mon": 1 / 20}
ROW_CAP = {
    "1m": 10_000,
    "5m": 10_000,
    "15m": 10_000,
    "30m": 10_000,
    "1h": 10_000,
    "1d": 20_000,
    "1w": 20_000,
    "1mon": 20_000,
}
ADJUST_DESCRIPTIONS = {
    "none": "不复权: prices as traded",
    "pre": "前复权: scaled to the latest adjustment factor; bars on or after anchor_date are as traded",
    "post": "后复权: scaled from the listing price level; bars before anchor_date are as traded",
}
# How far back to look for the bar before `start` (its close gives the first row's change).
_LOOKBACK = {"1w": timedelta(days=14), "1mon": timedelta(days=62)}


@dataclass(frozen=True, slots=True)
class HistoryResult:
    data: dict[str, list[dict[str, Any]]]
    total_records: int
    period: str
    adjustment: dict[str, Any]
    cache_hit: bool
    cache_age_seconds: float | None
    source: dict[str, Any]


def check_row_cap(*, symbols: Sequence[str], start: date, end: date, period: str) -> None:
    """INVALID_PARAMETER, with a narrower end_date to ask for, when the rows would pass the period's cap."""
    days = {symbol: db_calendar.trading_days(market_of(symbol), start, end) for symbol in symbols}
    rows = sum(math.ceil(len(found) * BARS_PER_DAY[period]) for found in days.values())
    cap = ROW_CAP[period]
    if rows <= cap:
        return
    per_symbol_days = max(1, int(cap / (BARS_PER_DAY[period] * len(symbols))))
    first = days[symbols[0]]
    hint = f"; e.g. end_date={first[per_symbol_days - 1].isoformat()}, then continue from the next day" if first else ""
    raise InvalidParameter(
        f"about {rows} rows asked ({len(symbols)} symbol(s), period {period}); at most {cap} rows per request "
        f"for period {period}: page by date, at most {per_symbol_days} trading days per request with "
        f"{len(symbols)} symbol(s){hint}"
    )


def _lookback_start(symbol: str, start: date, period: str) -> date:
    if period in _LOOKBACK:
        return start - _LOOKBACK[period]
    return db_calendar.previous_trading_day(market_of(symbol), start) or start


def _rows(
    source: DataSource,
    symbol: str,
    start: date,
    end: date,
    period: str,
    adjust: str,
    use_cache: bool = True,
    anchor: date | None = None,
    from_recording: bool = False,
) -> dict[str, Any]:
    # use_cache=false bypasses every cached input of the answer, the factors (BASIC_INFO, L3) included.
    factors = Factors((), ())
    if adjust != "none":
        factors = adjustment_factors(source=source, symbol=symbol, use_cache=use_cache)
        if anchor is not None:
            factors = factors.as_seen_on(anchor)
    first = _lookback_start(symbol, start, period)
    built = recorded_bars(symbol, period, first, end) if from_recording else None
    if built is not None:
        bars = built.bars
    else:
        bars = from_source(
            source,
            f"{period} bars of {symbol} from {first} to {end}",
            lambda: source.bars(symbol, period=period, start=first, end=end),
        )
    rows: list[dict[str, Any]] = []
    prev_close: float | None = None
    digits = price_digits(symbol)
    for bar in bars:
        factor = factors.factor(adjust, bar.trading_day)
        if bar.trading_day >= start:
            row = bar_payload(bar, prev_close=prev_close, factor=factor, digits=digits)
            if built is not None and bar.time in built.unknown_volume:
                row["volume"] = None  # a minute before it was not observed (see recorded_bars)
            rows.append(row)
        prev_close = round(bar.close * factor, digits)
    as_of = next((iso_utc(bar.time) for bar in reversed(bars) if bar.trading_day >= start), None)
    window: dict[str, Any] = {
        "rows": rows,
        "anchor_date": factors.anchor(adjust),
        "as_of": as_of,
        "factors_hash": factors.digest(),
    }
    if built is not None:
        window["recorded"] = {
            "origins": sorted([name, simulated] for name, simulated in built.origins),
            "days": [day for day in built.days if day >= start.isoformat()],
        }
    return window


def _adjust_key(adjust: str, anchor: date | None) -> str:
    return adjust if anchor is None else f"{adjust}@{anchor.isoformat()}"


def _from_recording(period: str, intraday_bars: bool) -> bool:
    """Intraday bars come from the tick recorder's archive where the source has no minute bars."""
    return period in INTRADAY_PERIODS and not intraday_bars


def _period_key(period: str, from_recording: bool) -> str:
    # Bars built from the recording are cached apart from a source's (the key says so).
    return f"{period}+recorded_ticks" if from_recording else period


def _check_recording(source: DataSource, symbols: Sequence[str], start: date, end: date, period: str) -> None:
    """INVALID_PARAMETER when the archive holds no day of [start, end] to build the bars from."""
    if recorded_days_between(start, end):
        return
    held = recorded_days_between(date.min, date.max)
    raise InvalidParameter(
        f"the {source.name} source has no {period} bars (it holds daily bars only) and the tick recorder "
        f"holds no day between {start.isoformat()} and {end.isoformat()} to build them from (recorded days: "
        f"{', '.join(held[-10:]) or 'none yet'}): ask for period 1d, 1w or 1mon, or for a recorded day"
    )


def history_bars(
    *,
    symbols: Sequence[str],
    start: date,
    end: date,
    period: str,
    adjust: str,
    use_cache: bool = True,
    adjust_anchor: date | None = None,
) -> HistoryResult:
    """Bars per symbol for [start, end] (trading days only), adjusted as asked, from HISTORY_DATA or the source."""
    _validate(symbols, start, end, period)
    _validate_anchor(adjust, adjust_anchor)
    source = current_source()
    built = _from_recording(period, source.intraday_bars)
    if built:
        _check_recording(source, symbols, start, end, period)
    return _collect(
        symbols,
        period,
        adjust,
        lambda symbol: partial(_rows, source, symbol, start, end, period, adjust, use_cache, adjust_anchor, built),
        lambda symbol: history_key(symbol, _period_key(period, built), start, end, _adjust_key(adjust, adjust_anchor)),
        use_cache=use_cache,
        origin=lambda: (source.name, source.serves_simulated()),  # asked after the reads (a gateway learns it)
        anchor=adjust_anchor,
    )


def _validate_anchor(adjust: str, anchor: date | None) -> None:
    if anchor is None:
        return
    if adjust == "none":
        raise InvalidParameter("adjust_anchor needs adjust=pre or adjust=post (it chooses which factors apply)")
    today = clock.shanghai_today()
    if anchor > today:
        raise InvalidParameter(
            f"adjust_anchor {anchor.isoformat()} is in the future (today is {today.isoformat()}); "
            "choose a past date, or leave it out for the factors known today"
        )


def cached_history_bars(
    *, symbols: Sequence[str], start: date, end: date, period: str, adjust: str, adjust_anchor: date | None = None
) -> HistoryResult | None:
    """The same answer from the cache alone (no source); None when any window is not cached."""
    _validate(symbols, start, end, period)
    _validate_anchor(adjust, adjust_anchor)
    found: list[Peeked[Any]] = []
    built = _from_recording(period, source_intraday_bars())

    def peek(rule: str, key: str, loader: Callable[[], Any], *, use_cache: bool) -> CacheResult[Any]:
        peeked = cache_peek(rule, key)
        if peeked is None:
            raise _Miss
        found.append(peeked)
        return peeked.result

    try:
        result = _collect(
            symbols,
            period,
            adjust,
            lambda symbol: _miss,
            lambda symbol: history_key(
                symbol, _period_key(period, built), start, end, _adjust_key(adjust, adjust_anchor)
            ),
            use_cache=True,
            origin=source_identity,
            anchor=adjust_anchor,
            fetch=peek,
        )
    except _Miss:
        return None  # Django answers, and counts, every lookup of this request
    cache_count(found)
    return result


class _Miss(Exception):
    """Raised by the cache-only read: the value is not cached."""


def _miss() -> dict[str, Any]:
    raise _Miss


def _validate(symbols: Sequence[str], start: date, end: date, period: str) -> None:
    check_coverage((market_of(symbol) for symbol in symbols), start, end)
    check_row_cap(symbols=symbols, start=start, end=end, period=period)
    instrument_names(symbols)


def _collect(
    symbols: Sequence[str],
    period: str,
    adjust: str,
    loader: Callable[[str], Callable[[], dict[str, Any]]],
    key: Callable[[str], str],
    *,
    use_cache: bool,
    origin: Callable[[], tuple[str, bool]],
    anchor: date | None = None,
    fetch: Callable[..., CacheResult[Any]] = cache_fetch,
) -> HistoryResult:
    summary = CacheSummary()
    data: dict[str, list[dict[str, Any]]] = {}
    anchors: dict[str, str | None] = {}
    hashes: dict[str, str | None] = {}
    stamps: list[str] = []
    recordings: list[dict[str, Any]] = []
    for symbol in symbols:
        window = summary.add(fetch("HISTORY_DATA", key(symbol), loader(symbol), use_cache=use_cache))
        data[symbol] = window["rows"]
        anchors[symbol] = window["anchor_date"]
        hashes[symbol] = window.get("factors_hash")
        if window["as_of"]:
            stamps.append(window["as_of"])
        if "recorded" in window:
            recordings.append(window["recorded"])
    source = _provenance(origin, as_of=max(stamps, default=None))
    if recordings:
        source = _recorded_provenance(source, period, recordings)
    return HistoryResult(
        data=data,
        total_records=sum(len(rows) for rows in data.values()),
        period=period,
        adjustment=_adjustment(adjust, anchor, anchors, hashes),
        cache_hit=summary.hit,
        cache_age_seconds=summary.age_seconds,
        source=source,
    )


def _adjustment(
    adjust: str, anchor: date | None, anchors: dict[str, str | None], hashes: dict[str, str | None]
) -> dict[str, Any]:
    """What the adjustment did: `applied` (any symbol's prices scaled), the anchor asked (null: the
    factors known today), and per symbol the anchor ex-date and a short hash of the factors used."""
    description = ADJUST_DESCRIPTIONS[adjust]
    raw = [symbol for symbol, digest in hashes.items() if digest is None]
    if adjust != "none" and raw:
        seen = f" on {anchor.isoformat()}" if anchor is not None else ""
        description += (
            f"; no corporate actions are known for {', '.join(raw)} in this source{seen}: their bars are as traded"
        )
    if adjust != "none" and anchor is not None:
        description += f"; factors as known on {anchor.isoformat()} (ex-dates after it are left out)"
    return {
        "type": adjust,
        "applied": adjust != "none" and len(raw) < len(hashes),
        "description": description,
        "anchor": anchor.isoformat() if anchor is not None else None,
        "anchor_dates": anchors,
        "factors_hash": hashes,
    }


def _recorded_provenance(configured: dict[str, Any], period: str, recordings: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars built from recorded ticks say so: the source that produced the ticks (not the configured
    one, which has no minute bars: `configured_source`), `recorded: true`, `built_from`, the days used."""
    origins = {(name, simulated) for found in recordings for name, simulated in found["origins"]}
    names = sorted({name for name, _ in origins})
    days = sorted({day for found in recordings for day in found["days"]})
    return {
        "source": ",".join(names) if names else "recorder",
        "simulated": any(simulated for _, simulated in origins),
        "as_of": configured["as_of"],
        "recorded": True,
        "built_from": "recorded_ticks",
        "configured_source": configured["source"],
        "recorded_days": days,
        "note": (
            f"the {configured['source']} source has no {period} bars: these were built from the tick recorder's "
            "archive (OHLC from tick prices, volume and turnover from the cumulative values; a minute without "
            "ticks has no bar; volume is null after a minute the feed or the recorder missed)"
        ),
    }


def _provenance(origin: Callable[[], tuple[str, bool]], *, as_of: str | None) -> dict[str, Any]:
    name, simulated = origin()
    return provenance_of(name, simulated=simulated, as_of=as_of)
