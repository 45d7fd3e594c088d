"""Recorded ticks: what the recorder archived of one trading day, in the quote shape plus seq, paged by cursor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from core import clock
from core.errors import InvalidParameter
from core.paging import Page, paginate
from marketdata import recorded
from marketdata.selectors.common import instrument_names
from marketdata.sessions import exchange_moment

RECORDED_MAX_SYMBOLS = 20
RECORDED_DEFAULT_ROWS = 1000
RECORDED_ROW_CAP = 10_000  # at most this many rows per page (REST limit, MCP max_rows), as /history's 1m cap


@dataclass(frozen=True, slots=True)
class RecordedResult:
    data: dict[str, list[dict[str, Any]]]  # this page's rows, keyed by symbol
    rows: list[tuple[str, dict[str, Any]]]  # every row of the query, (symbol, quote) in order
    page: Page
    source: dict[str, Any]
    archive: dict[str, Any]

    @property
    def total_records(self) -> int:
        return self.page.total


def recorded_window(day: date, start_time: time | None, end_time: time | None) -> tuple[datetime, datetime]:
    """The exchange-time window [start_time, end_time] on `day` (default: the whole day)."""
    first = exchange_moment(day, start_time or time(0, 0))
    last = exchange_moment(day, end_time or time(23, 59, 59, 999999))
    if first > last:
        raise InvalidParameter(f"start_time {start_time} is after end_time {end_time}; swap them")
    return first, last


def check_day(day: date) -> None:
    today = clock.shanghai_today()
    if day > today:
        raise InvalidParameter(
            f"date {day.isoformat()} is in the future (today is {today.isoformat()} in Shanghai); "
            "nothing can be recorded yet: choose today or a past day"
        )


def recorded_ticks(
    *,
    symbols: Sequence[str],
    day: date,
    start_time: time | None = None,
    end_time: time | None = None,
    cursor: str | None = None,
    limit: int = RECORDED_DEFAULT_ROWS,
    tool: str = "recorded_ticks",
) -> RecordedResult:
    """Every recorded tick of `symbols` on `day` in the window, symbol by symbol in acceptance order, one page."""
    check_day(day)
    names = instrument_names(symbols)  # NOT_FOUND for a symbol nobody lists
    first, last = recorded_window(day, start_time, end_time)
    flat: list[tuple[str, dict[str, Any]]] = []
    origins: set[tuple[str, bool]] = set()
    stamps: list[str] = []
    found = recorded.read_many(day, symbols, start=first, end=last)
    for symbol in symbols:
        for row in found[symbol]:
            quote = recorded.quote_of(row)
            quote["name"] = quote["name"] or names.get(symbol, "")
            flat.append((symbol, quote))
            origins.add((row["source"] or "unknown", bool(row["simulated"])))
            stamps.append(row["timestamp"])
    fingerprint = {
        "symbols": list(symbols),
        "date": day.isoformat(),
        "start_time": str(start_time),
        "end_time": str(end_time),
    }
    page = paginate(flat, tool=tool, query=fingerprint, cursor=cursor, max_rows=limit)
    data: dict[str, list[dict[str, Any]]] = {symbol: [] for symbol in symbols}
    for symbol, quote in page.rows:
        data[symbol].append(quote)
    return RecordedResult(
        data=data,
        rows=flat,
        page=page,
        source=recorded_provenance(origins, as_of=max(stamps, default=None), day=day),
        archive=archive_summary(day),
    )


def recorded_provenance(origins: set[tuple[str, bool]], *, as_of: str | None, day: date) -> dict[str, Any]:
    """Where recorded ticks came from: the source that produced them (not today's source), recorded: true."""
    names = sorted({name for name, _ in origins})
    return {
        "source": ",".join(names) if names else "recorder",
        "simulated": any(simulated for _, simulated in origins),
        "as_of": as_of,
        "recorded": True,
        "trading_day": day.isoformat(),
    }


def archive_summary(day: date) -> dict[str, Any]:
    """Where the archive of `day` begins and ends, per writer (a writer not `closed` ended in a crash
    or is still recording: everything up to its `recorded_through` is on disk, later ticks may not be)."""
    writers = recorded.manifests(day)
    summary: dict[str, Any] = {
        "trading_day": day.isoformat(),
        "recorded": bool(writers),
        "writers": [
            {
                "writer": m.get("writer"),
                "recorded_from": m.get("recorded_from"),
                "recorded_through": m.get("recorded_through"),
                "closed": m.get("closed"),
                "rows": m.get("rows"),
                "lost_rows": m.get("lost_rows", 0),
                "flush_seconds": m.get("flush_seconds"),
            }
            for m in writers
        ],
        "ends_at": max((m.get("recorded_through") or "" for m in writers), default=None) or None,
    }
    if not writers:
        days = recorded.recorded_days()
        summary["note"] = (
            f"nothing was recorded on {day.isoformat()}; recorded days: {', '.join(days[-10:]) or 'none yet'}"
        )
    return summary
