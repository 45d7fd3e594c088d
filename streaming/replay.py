"""Session replay over the live protocol: a recorded trading day played to one connection.

`{"action": "subscribe", "symbols": [...], "replay": {"date": "YYYY-MM-DD", "speed": 10, "from": "HH:MM:SS"}}`
plays that day's recorded ticks (marketdata/recorded.py) of those symbols to this connection
only: a `subscribed` ack and a `snapshot` (each symbol's last tick before `from`), then every tick
from `from` on, in the order the live ingest accepted them, with their original seq, epoch and
timestamps, paced at `speed` × the recorded time (`"max"`: as fast as the client reads). Market
phase changes and symbol state changes (suspended, limit_up, ...) of the recorded day come as
`status` frames, and the end of the recording as a status `{"replay": "ended", ...}`. Every frame
carries `"replay": true` (pushes in `data` too). Pushes go through the connection's own bounded
queue, so a paced replay a client cannot keep up with is conflated and then closed (4008) exactly
like a live one; at `"max"` the replay waits for the queue instead (the client sets the pace),
until it has waited ARGUS_WS_SLOW_CLIENT_TIMEOUT / 2, after which the live policy applies too.
`unsubscribe` of its symbols stops it (queued frames of those symbols are dropped).

One replay per connection at a time, and not of a symbol the connection follows live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time as monotonic
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.conf import settings

from core import clock
from core.errors import InvalidParameter
from marketdata import recorded
from marketdata.payloads import iso_utc, symbol_status_payload
from marketdata.selectors.recorded import archive_summary
from marketdata.sessions import exchange_moment, phase_at
from streaming.connection import Connection
from streaming.protocol import dumps, push_data

logger = logging.getLogger("argus.stream")

KEY = "~"  # queue keys of replay frames: "~<symbol>" pushes, "~!" status (never the live keys)
_SPEED_MAX = 10_000.0


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    day: date
    speed: float | None  # None: "max"
    start: time | None  # "from" (exchange time); None: the start of the recording


def parse_replay(raw: Any) -> ReplayRequest:
    """Validate a subscribe's `replay` object; INVALID_PARAMETER says what to fix."""
    example = '{"date": "2024-01-15", "speed": 10, "from": "09:30:00"}'
    if not isinstance(raw, dict):
        raise InvalidParameter(f"'replay' must be an object such as {example}")
    unknown = sorted(set(raw) - {"date", "speed", "from"})
    if unknown:
        raise InvalidParameter(f"replay: unknown keys {unknown}; use date, speed and from, e.g. {example}")
    day_raw = raw.get("date")
    if not isinstance(day_raw, str):
        raise InvalidParameter(f"replay.date is missing: give the recorded trading day as YYYY-MM-DD, e.g. {example}")
    try:
        day = date.fromisoformat(day_raw)
    except ValueError as exc:
        raise InvalidParameter(f"replay.date {day_raw!r} is not a day: use YYYY-MM-DD, e.g. 2024-01-15") from exc
    if len(day_raw) != 10:
        raise InvalidParameter(f"replay.date {day_raw!r} is not a day: use YYYY-MM-DD, e.g. 2024-01-15")
    today = clock.shanghai_today()
    if day > today:
        raise InvalidParameter(
            f"replay.date {day_raw} is in the future (today is {today.isoformat()} in Shanghai); "
            "choose a recorded day: today or earlier"
        )
    speed = _speed(raw.get("speed", 1))
    start = None
    if raw.get("from") is not None:
        text = raw["from"]
        try:
            if not isinstance(text, str) or len(text) not in (5, 8):
                raise ValueError(text)
            start = time.fromisoformat(text)
        except ValueError as exc:
            raise InvalidParameter(
                f"replay.from {text!r} is not a time: use HH:MM:SS in exchange time (Asia/Shanghai), e.g. 09:30:00"
            ) from exc
    return ReplayRequest(day, speed, start)


def _speed(raw: Any) -> float | None:
    if raw == "max":
        return None
    ok = isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw)
    if not ok or not 0 < raw <= _SPEED_MAX:
        raise InvalidParameter(
            f"replay.speed {raw!r} is not a speed: give a number above 0 and at most {_SPEED_MAX:g} "
            '(1 = as recorded, 10 = ten times faster), or "max" (as fast as you read)'
        )
    return float(raw)


class _Traded:
    """The calendar of a recorded day: it traded (the feed recorded it in a trading phase)."""

    def is_trading_day(self, market: str, day: date) -> bool:
        return True


def _phase(ts: float) -> str:
    return phase_at(datetime.fromtimestamp(ts, clock.SHANGHAI), "SH", _Traded()).value  # type: ignore[arg-type]


class Replay:
    """One connection's replay: a task playing the loaded rows into the connection's queue."""

    def __init__(self, connection: Connection, request: ReplayRequest, symbols: Sequence[str], fields: Any) -> None:
        self.connection = connection
        self.request = request
        self.symbols = set(symbols)
        self.fields = fields
        self.task: asyncio.Task[None] | None = None
        self.sent = 0

    def stop(self, symbols: Sequence[str] | None = None) -> bool:
        """Stop playing `symbols` (all: None); True when nothing is left to play."""
        gone = set(self.symbols) if symbols is None else self.symbols & set(symbols)
        self.symbols -= gone
        self.connection.discard({KEY + s for s in gone})
        if not self.symbols and self.task is not None:
            self.task.cancel()
            self.connection.discard({KEY + "!"})
        return not self.symbols

    async def play(self, rows: list[dict[str, Any]], summary: dict[str, Any]) -> None:
        connection, speed = self.connection, self.request.speed
        status: dict[str, str] = {}
        phase: str | None = None
        started = monotonic.monotonic()
        first_ts = rows[0]["ts"] if rows else 0.0
        clock_ts = first_ts
        last_seq: dict[str, int] = {}
        for row in rows:
            symbol = row["symbol"]
            if symbol not in self.symbols:
                continue
            clock_ts = max(clock_ts, row["ts"])
            if speed is not None:
                due = started + (clock_ts - first_ts) / speed
                wait = due - monotonic.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            else:
                await self._room()
            now_phase = _phase(row["ts"])
            if now_phase != phase:
                phase = now_phase
                market = {"market_phase": phase, "trading_day": row["trading_day"], "timestamp": row["timestamp"]}
                self._status(market)
            if status.get(symbol, "trading") != row["status"]:
                day, at = row["trading_day"], row["timestamp"]
                self._status(symbol_status_payload(symbol, row["status"], day=day, at=at))
            status[symbol] = row["status"]
            connection.offer(KEY + symbol, 0, _push(row, self.fields))
            last_seq[symbol] = row["seq"]
            self.sent += 1
        if speed is None:
            await self._room()
        end = {
            "replay": "ended",
            "date": self.request.day.isoformat(),
            "symbols": sorted(self.symbols),
            "ticks_sent": self.sent,
            "last_seq": last_seq,
            "ends_at": summary.get("ends_at"),
            "complete": bool(summary.get("writers")) and all(w.get("closed") for w in summary["writers"]),
            "detail": "the recording of this day is over; unsubscribe, or subscribe again to replay",
            "timestamp": iso_utc(clock.now()),
        }
        self._status(end)

    def _status(self, data: dict[str, Any]) -> None:
        body = {**data, "replay": data.get("replay", True)}
        self.connection.offer(KEY + "!", 0, dumps({"type": "status", "replay": True, "data": body}))

    async def _room(self) -> None:
        """At speed "max": wait while the queue is full (the client sets the pace), at most half the
        slow-client timeout; past it the pushes are offered anyway and the live policy applies."""
        limit = self.connection.queue_size
        waited = monotonic.monotonic()
        patience = settings.ARGUS_WS_SLOW_CLIENT_TIMEOUT / 2
        while self.connection.pending() >= limit and not self.connection.closed:
            if monotonic.monotonic() - waited > patience:
                return
            await asyncio.sleep(0.002)


def _push(row: dict[str, Any], fields: Any) -> str:
    quote = recorded.quote_of(row)
    data = push_data(quote, row["seq"], fields)
    data["replay"] = True
    return dumps({"type": "market_data", "epoch": row["epoch"], "replay": True, "data": data})


def _ack(
    request: ReplayRequest,
    symbols: Sequence[str],
    fields: Any,
    rows: list[dict[str, Any]],
    playing: list[dict[str, Any]],
    summary: dict[str, Any],
    *,
    subscribed: int,
) -> dict[str, Any]:
    """The replay's `subscribed` data: the live ack's fields, plus what is replayed from where."""
    seen = {r["symbol"] for r in rows}
    origin = {r["symbol"]: (r["source"], r["simulated"]) for r in rows}
    provenance = {}
    for symbol in symbols:
        name, simulated = origin.get(symbol, (None, None))
        provenance[symbol] = {"source": name, "simulated": simulated, "recorded": True, "replay": True}
    return {
        "symbols": list(symbols),
        "fields": list(fields) if fields else None,
        "pending": [s for s in symbols if s not in seen],
        "subscribed": subscribed,
        "market": {
            "market_phase": _phase(playing[0]["ts"]) if playing else None,
            "trading_day": request.day.isoformat(),
        },
        "provenance": provenance,
        "replay": {
            "date": request.day.isoformat(),
            "speed": "max" if request.speed is None else request.speed,
            "from": request.start.isoformat() if request.start else None,
            "ticks": len(playing),
            "archive": summary,
        },
    }


def load(day: date, symbols: Sequence[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every recorded row of `symbols` on `day` in acceptance order, and the archive's summary (disk: a thread)."""
    found = recorded.read_many(day, symbols)
    rows = [row for symbol in symbols for row in found[symbol]]
    rows.sort(key=lambda r: (r["recorded_at"], r["seq"]))
    return rows, archive_summary(day)


class Replays:
    """The replay side of one Session (the consumer's hooks call these)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.current: Replay | None = None

    @property
    def symbols(self) -> set[str]:
        return set(self.current.symbols) if self.current is not None else set()

    async def subscribe(self, symbols: tuple[str, ...], fields: Any, raw: Any, *, resume: bool) -> None:
        request = parse_replay(raw)
        connection = self.connection
        if resume:
            raise InvalidParameter(
                "resume_from does not go with replay: to continue a replay, subscribe again with replay.from "
                "set to the time of the last tick you received"
            )
        if self.current is not None and self.current.symbols:
            raise InvalidParameter(
                f"a replay of {self.current.request.day.isoformat()} is already playing on this connection; "
                "unsubscribe its symbols first, or open another connection"
            )
        live = sorted(set(symbols) & set(connection.fields))
        if live:
            raise InvalidParameter(
                f"{live} are subscribed live on this connection; unsubscribe them first, "
                "or replay on another connection"
            )
        total = len(set(connection.fields) | set(symbols))
        if total > settings.ARGUS_WS_MAX_SYMBOLS:
            raise InvalidParameter(
                f"{total} symbols on one connection; at most {settings.ARGUS_WS_MAX_SYMBOLS}: replay fewer"
            )
        rows, summary = await asyncio.to_thread(load, request.day, symbols)
        if not summary["recorded"]:
            raise InvalidParameter(f"replay.date: {summary['note']}; choose a recorded day")
        start = exchange_moment(request.day, request.start).timestamp() if request.start else None
        before = [r for r in rows if start is not None and r["ts"] < start]
        playing = [r for r in rows if start is None or r["ts"] >= start]
        snapshot_rows: dict[str, dict[str, Any]] = {}
        for row in before:
            snapshot_rows[row["symbol"]] = row
        replay = Replay(connection, request, symbols, fields)
        epoch = (playing or before or [{"epoch": None}])[0]["epoch"]
        ack = _ack(request, symbols, fields, rows, playing, summary, subscribed=len(connection.fields))
        snapshot = []
        for row in snapshot_rows.values():
            item = push_data(recorded.quote_of(row), row["seq"], fields)
            item["replay"] = True
            snapshot.append(item)
        async with connection.lock:
            await connection.send_locked(dumps({"type": "subscribed", "epoch": epoch, "replay": True, "data": ack}))
            await connection.send_locked(dumps({"type": "snapshot", "epoch": epoch, "replay": True, "data": snapshot}))
        self.current = replay
        replay.task = asyncio.get_running_loop().create_task(self._run(replay, playing, summary))

    async def _run(self, replay: Replay, rows: list[dict[str, Any]], summary: dict[str, Any]) -> None:
        try:
            await replay.play(rows, summary)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("replay of %s failed", replay.request.day)
        finally:
            if self.current is replay:
                self.current = None

    def unsubscribe(self, symbols: Sequence[str]) -> list[str]:
        """Stop replaying `symbols`; the ones that were replaying."""
        if self.current is None:
            return []
        stopped = sorted(self.current.symbols & set(symbols))
        if self.current.stop(symbols):
            self.current = None
        return stopped

    async def close(self) -> None:
        replay, self.current = self.current, None
        if replay is not None and replay.task is not None:
            replay.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await replay.task
