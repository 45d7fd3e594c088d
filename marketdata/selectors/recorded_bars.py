"""Intraday bars built from the tick recorder's archive, for a source that has no minute bars (the files source).

A 1-minute bar is computed from the recorded ticks of its minute (the ledger's minutes,
`recorded.minute_index`: the opening call auction counts towards 09:31, ticks at or after 11:30 towards
11:30, at or after 15:00 towards 15:00, as xtquant stamps them), and nothing else:
- open / high / low / close: the first, highest, lowest and last tick `price` of the minute (not
  the ticks' day high/low fields);
- volume / turnover: the cumulative volume / turnover of the minute's last tick minus that of the
  day's previous recorded tick (0 before the day's first). That is exact when every minute between
  the two was observed: the recorder ran and the feed polled (a minute without ticks in between is a
  minute nothing changed in). When a minute in between was `not_recorded` or `feed_down` (as the bar
  ledger labels them, from the writers' manifests), what traded then is folded into this difference,
  so the bar's volume and turnover are null (unknown), not a guess; so are they when a tick's
  cumulative value is unknown;
- a minute without ticks has no bar (nothing is invented); suspended ticks make no bar.
Longer periods (5m ... 1h) aggregate the 1-minute bars of each session-aligned bucket (the first
open, the highest high, the lowest low, the last close, the sum of volumes: null if any is null),
stamped with the bucket's end as source bars are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from core import clock
from marketdata import recorded
from marketdata.calendar import db_calendar
from marketdata.sessions import MINUTES_PER_DAY
from marketdata.sources.base import Bar
from marketdata.symbols import market_of

# Minutes per bar of each intraday period (the morning and the afternoon session are 120 minutes
# each, so every bucket lies within one session).
PERIOD_MINUTES = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60}


@dataclass(slots=True)
class RecordedBars:
    bars: list[Bar] = field(default_factory=list)
    unknown_volume: set[datetime] = field(default_factory=set)  # bar times whose volume/turnover is null
    origins: set[tuple[str, bool]] = field(default_factory=set)  # (source, simulated) of the ticks used
    days: list[str] = field(default_factory=list)  # the trading days of the window the archive holds


@dataclass(slots=True)
class _Minute:
    open: float
    high: float
    low: float
    close: float
    volume: int | None
    turnover: float | None


def _observed(day: date, writers: list[dict[str, Any]]) -> list[bool]:
    """Per trading minute: a writer was recording then and the feed polled (the ledger's view)."""
    spans = []
    for writer in writers:
        first, last = writer.get("recorded_from"), writer.get("recorded_through")
        if first and last:
            spans.append((datetime.fromisoformat(first).timestamp(), datetime.fromisoformat(last).timestamp()))
    fed = {minute for writer in writers for minute in writer.get("fed_minutes", ())}
    seen = []
    for index in range(MINUTES_PER_DAY):
        start, end = (moment.timestamp() for moment in recorded.minute_bounds(day, index))
        seen.append(index in fed and any(first <= end and start <= last for first, last in spans))
    return seen


def _minutes(day: date, rows: list[dict[str, Any]], writers: list[dict[str, Any]]) -> dict[int, _Minute]:
    minutes: dict[int, _Minute] = {}
    observed: list[bool] | None = None
    base_volume: int | None = 0
    base_turnover: float | None = 0.0
    start_volume, start_turnover = base_volume, base_turnover
    previous = -1  # the minute of the day's previous recorded tick (-1: before the first)
    exact = True
    for row in rows:
        price = row["price"]
        if row["status"] == "suspended" or price is None:
            continue
        index = recorded.minute_index(datetime.fromtimestamp(row["ts"], clock.SHANGHAI))
        bar = minutes.get(index)
        if bar is None:
            if index > previous + 1:
                observed = observed if observed is not None else _observed(day, writers)
                exact = all(observed[previous + 1 : index])
            else:
                exact = True
            bar = minutes[index] = _Minute(price, price, price, price, None, None)
            start_volume, start_turnover = base_volume, base_turnover
        bar.high = max(bar.high, price)
        bar.low = min(bar.low, price)
        bar.close = price
        volume, turnover = row["volume"], row["turnover"]
        bar.volume = volume - start_volume if exact and volume is not None and start_volume is not None else None
        known = exact and turnover is not None and start_turnover is not None
        bar.turnover = round(turnover - start_turnover, 2) if known else None
        base_volume, base_turnover = volume, turnover
        previous = index
    return minutes


def recorded_bars(symbol: str, period: str, start: date, end: date) -> RecordedBars:
    """`symbol`'s `period` bars of the trading days in [start, end], built from its recorded ticks."""
    step = PERIOD_MINUTES[period]
    out = RecordedBars()
    held = set(recorded.recorded_days())
    for day in db_calendar.trading_days(market_of(symbol), start, end):
        if day.isoformat() not in held:
            continue
        out.days.append(day.isoformat())
        rows = recorded.read_ticks(day, symbol)
        out.origins |= {(row["source"] or "unknown", bool(row["simulated"])) for row in rows}
        minutes = _minutes(day, rows, recorded.manifests(day))
        buckets: dict[int, list[_Minute]] = {}
        for index in sorted(minutes):
            buckets.setdefault(index // step, []).append(minutes[index])
        for bucket, parts in sorted(buckets.items()):
            moment = recorded.minute_bounds(day, bucket * step + step - 1)[1]
            volumes = [p.volume for p in parts]
            turnovers = [p.turnover for p in parts]
            unknown = any(v is None for v in volumes)
            out.bars.append(
                Bar(
                    symbol,
                    period,
                    day,
                    moment,
                    parts[0].open,
                    max(p.high for p in parts),
                    min(p.low for p in parts),
                    parts[-1].close,
                    0 if unknown else sum(v for v in volumes if v is not None),
                    None if any(t is None for t in turnovers) else round(sum(t for t in turnovers if t is not None), 2),
                )
            )
            if unknown:
                out.unknown_volume.add(moment)
    return out


def recorded_days_between(start: date, end: date) -> list[str]:
    """The archive's days in [start, end] (no file is read beyond the directory listing)."""
    return [day for day in recorded.recorded_days() if start.isoformat() <= day <= end.isoformat()]


__all__: Sequence[str] = ("PERIOD_MINUTES", "RecordedBars", "recorded_bars", "recorded_days_between")
