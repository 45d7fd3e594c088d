"""The bar ledger: per symbol and trading day, the 1-minute intervals expected vs those the recorder saw ticks in.

Expected: the 240 trading minutes (09:30-11:30, 13:00-15:00; each labelled by its start, 09:30 ...
14:59) of a day the calendar says the symbol's market trades; none on another day. On today's
date, minutes that have not begun yet are `pending`, not missing. A minute is covered when at
least one recorded tick of the symbol counts towards it (marketdata/recorded.py `minute_index`:
the opening auction counts towards 09:30's minute, the closing auction towards 14:59's).

Each missing minute gets one reason, the first that holds:
- `suspended`: the symbol's recorded status around it (the last tick before, else the first after)
  is suspended;
- `not_recorded`: no recorder was running then (before the first writer's `recorded_from`,
  after the last flush `recorded_through` of a writer that crashed, between writers);
- `feed_down`: a recorder was running but the feed did not poll in that minute (its manifests'
  `fed_minutes`);
- `no_trade`: the feed polled and the recorder ran, but the symbol's snapshot did not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from core import clock
from marketdata import recorded
from marketdata.calendar import db_calendar
from marketdata.selectors.common import current_source, instrument_names
from marketdata.selectors.recorded import archive_summary, check_day, recorded_provenance
from marketdata.sessions import MINUTES_PER_DAY, MINUTES_PER_SESSION
from marketdata.symbols import market_of

REASONS = ("suspended", "not_recorded", "feed_down", "no_trade")


def _spans(writers: list[dict[str, Any]]) -> list[tuple[float, float]]:
    spans = []
    for writer in writers:
        first, last = writer.get("recorded_from"), writer.get("recorded_through")
        if first and last:
            spans.append((datetime.fromisoformat(first).timestamp(), datetime.fromisoformat(last).timestamp()))
    return spans


def _trades(day: date, symbol: str) -> bool:
    source = current_source()
    calendar = getattr(source, "calendar", None) or db_calendar
    return bool(calendar.is_trading_day(market_of(symbol), day))


def symbol_ledger(
    day: date, symbol: str, writers: list[dict[str, Any]], rows: list[dict[str, Any]] | None = None
) -> tuple[dict[str, Any], set[tuple[str, bool]]]:
    """One symbol's ledger of `day` (and the sources its recorded ticks came from); `rows`: its
    recorded ticks when already read (read_many), else they are read here."""
    rows = recorded.read_ticks(day, symbol) if rows is None else rows
    origins = {(row["source"] or "unknown", bool(row["simulated"])) for row in rows}
    if not _trades(day, symbol):
        return {
            "trading_day": day.isoformat(),
            "trading": False,
            "expected_minutes": 0,
            "covered_minutes": 0,
            "missing_minutes": 0,
            "pending_minutes": 0,
            "ticks": len(rows),
            "gaps": [],
            "by_reason": dict.fromkeys(REASONS, 0),
            "note": f"{day.isoformat()} is not a trading day of {market_of(symbol)}: no minute is expected",
        }, origins
    status_at: dict[int, str] = {}
    counts = [0] * MINUTES_PER_DAY
    for row in rows:
        index = recorded.minute_index(datetime.fromtimestamp(row["ts"], clock.SHANGHAI))
        counts[index] += 1
        status_at[index] = row["status"]  # the minute's last status
    fed = {minute for writer in writers for minute in writer.get("fed_minutes", ())}
    spans = _spans(writers)
    now = clock.now().timestamp()
    first_status = rows[0]["status"] if rows else None
    reasons: list[str | None] = []
    pending = 0
    last_status = first_status
    for index in range(MINUTES_PER_DAY):
        start, end = (moment.timestamp() for moment in recorded.minute_bounds(day, index))
        if index in status_at:
            last_status = status_at[index]
        if counts[index]:
            reasons.append(None)
            continue
        if start >= now:
            pending += 1
            reasons.append("pending")
        elif last_status == "suspended":
            reasons.append("suspended")
        elif not any(first <= end and start <= last for first, last in spans):
            reasons.append("not_recorded")
        elif index not in fed:
            reasons.append("feed_down")
        else:
            reasons.append("no_trade")
    gaps = _gaps(reasons)
    covered = sum(1 for count in counts if count)
    expected = MINUTES_PER_DAY - pending
    by_reason = dict.fromkeys(REASONS, 0)
    for reason in reasons:
        if reason in by_reason:
            by_reason[reason] += 1
    return {
        "trading_day": day.isoformat(),
        "trading": True,
        "expected_minutes": expected,
        "covered_minutes": covered,
        "missing_minutes": expected - covered,
        "pending_minutes": pending,
        "ticks": len(rows),
        "gaps": gaps,
        "by_reason": by_reason,
    }, origins


def _gaps(reasons: list[str | None]) -> list[dict[str, Any]]:
    """Runs of consecutive missing minutes with one reason, per session: from (first minute's start) to
    (last minute's end)."""
    gaps: list[dict[str, Any]] = []
    for index, reason in enumerate(reasons):
        if reason is None or reason == "pending":
            continue
        last = gaps[-1] if gaps else None
        same_session = index != MINUTES_PER_SESSION  # a gap never runs across the lunch break
        if last is not None and last["reason"] == reason and last["_last"] == index - 1 and same_session:
            last["_last"] = index
            last["minutes"] += 1
            continue
        gaps.append({"reason": reason, "_first": index, "_last": index, "minutes": 1})
    for gap in gaps:
        first, last = gap.pop("_first"), gap.pop("_last")
        gap["from"] = recorded.minute_label(first)
        gap["to"] = _end_label(last)
    return [{"from": g["from"], "to": g["to"], "minutes": g["minutes"], "reason": g["reason"]} for g in gaps]


def _end_label(index: int) -> str:
    """`HH:MM` of the END of trading minute `index` (its bar's stamp: 09:31 ... 15:00)."""
    hours, minutes = (int(part) for part in recorded.minute_label(index).split(":"))
    total = hours * 60 + minutes + 1
    return f"{total // 60:02d}:{total % 60:02d}"


def coverage_ledger(*, symbols: Sequence[str], day: date) -> dict[str, Any]:
    """The ledger of each symbol on `day`, the archive's ends and the provenance of the ticks counted."""
    check_day(day)
    instrument_names(symbols)
    writers = recorded.manifests(day)
    data: dict[str, Any] = {}
    origins: set[tuple[str, bool]] = set()
    found = recorded.read_many(day, symbols)
    for symbol in symbols:
        data[symbol], seen = symbol_ledger(day, symbol, writers, found[symbol])
        origins |= seen
    return {"data": data, "archive": archive_summary(day), "source": recorded_provenance(origins, as_of=None, day=day)}
