"""The tick recorder: every tick the ingest accepts, appended to the Parquet archive by a background writer.

The ingest pays a list append under a lock per batch (`record`: the pushes as it already serialised
them, their seqs and statuses, no object per tick); a daemon thread turns what piled up into one
Parquet segment per day every ARGUS_RECORDER_FLUSH_SECONDS (built in bulk by Arrow, see
`recorded.table_of_pushes`), then rewrites the day's
manifest of this writer atomically, and every ARGUS_RECORDER_COMPACT_SECONDS (and at shutdown)
rewrites its segments as one file per symbol (marketdata/recorded.py describes the layout). So a
SIGKILL loses at most the last flush interval, and the manifest says where the archive ends.
`close` (at interpreter exit, and from `manage.py feed` on its way out) flushes the rest and marks
the manifests closed: nothing is lost on a clean shutdown.

Who records: the process that ingests, which is the process holding the feed lock: `manage.py feed`
in production (one per deployment: the lock), the server itself in the embedded default, or a Celery
worker while it runs a beat poll (each such process writes its own files, never another's).
Retention: days older than ARGUS_RECORDER_RETENTION_DAYS, then the oldest while the archive is over
ARGUS_RECORDER_MAX_MB, are deleted by the writer at start and hourly (today never is).
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import socket
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings

from core import clock
from marketdata import recorded

logger = logging.getLogger("argus.recorder")

# Rows waiting for the writer before new ones are refused (a disk that stays failing must not
# grow memory without bound); refused rows are counted in the manifest as `lost_rows`.
MAX_PENDING = 2_000_000
PRUNE_SECONDS = 3600.0


class Batch(NamedTuple):
    """What one ingest batch accepted of one trading day, as the ingest already had it."""

    day: str
    epoch: str
    accepted_at: float  # core.clock epoch seconds
    source: str | None  # the source that produced it
    pushes: bytes  # the pushes as serialised for the stream (orjson of push_payload), joined by newlines
    seqs: list[int]
    statuses: list[str]


class _Day:
    """What one writer knows of one trading day (written out as its manifest)."""

    def __init__(self, day: str) -> None:
        self.day = day
        self.recorded_from: float | None = None
        self.recorded_through: float | None = None
        self.rows = 0
        self.bytes = 0
        self.lost_rows = 0
        self.symbols: dict[str, dict[str, Any]] = {}
        self.fed_minutes: set[int] = set()

    def span(self, moment: float) -> None:
        self.recorded_from = moment if self.recorded_from is None else min(self.recorded_from, moment)
        self.recorded_through = moment if self.recorded_through is None else max(self.recorded_through, moment)


class Recorder:
    def __init__(
        self, root: Path, *, flush_seconds: float, retention_days: int, max_bytes: int, compact_seconds: float = 600.0
    ) -> None:
        self.root = root
        self.flush_seconds = flush_seconds
        self.retention_days = retention_days
        self.max_bytes = max_bytes
        self.writer = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.started_at = clock.iso_now()
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._pending: list[Batch] = []
        self._pending_rows = 0
        self._beats: list[float] = []
        self._refused = 0
        self._days: dict[str, _Day] = {}
        self._part = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pruned_at = 0.0
        self._compacted_at = time.monotonic()
        self.compact_seconds = compact_seconds
        self.closed = False
        self.flushes = 0

    # --- the ingest's side: no file I/O, one lock, an append ---
    def record(self, batch: Batch) -> None:
        size = len(batch.seqs)
        with self._lock:
            if self._pending_rows + size > MAX_PENDING:
                self._refused += size
                return
            self._pending.append(batch)
            self._pending_rows += size
        if self._thread is None:
            self._start()

    def heartbeat(self, moment: datetime) -> None:
        """The feed polled in a trading phase at this exchange moment (fed minutes of the ledger)."""
        with self._lock:
            self._beats.append(moment.timestamp())
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._flushing:
            if self._thread is not None or self.closed:
                return
            self._thread = threading.Thread(target=self._run, name="argus-recorder", daemon=True)
            self._thread.start()

    # --- the writer's side ---
    def _run(self) -> None:
        self._prune()
        while not self._stop.wait(self.flush_seconds):
            try:
                self.flush()
            except Exception:
                logger.exception("recorder flush failed; its rows are kept for the next flush")
            # Arrow's allocator (mimalloc) keeps what a flush used for the next one and grows in
            # steps; handing it back after each flush keeps the feed process's memory flat (the
            # fault suite's RSS check saw +40-50 MB within a minute otherwise).
            pa.default_memory_pool().release_unused()
            if time.monotonic() - self._pruned_at > PRUNE_SECONDS:
                self._prune()

    def _prune(self) -> None:
        self._pruned_at = time.monotonic()
        try:
            removed = recorded.prune(
                self.root,
                keep_days=self.retention_days,
                max_bytes=self.max_bytes,
                today=clock.shanghai_today().isoformat(),
            )
        except OSError:
            logger.exception("recorder retention failed")
            return
        if removed:
            logger.info("recorder deleted %d day(s) past retention or the disk bound: %s", len(removed), removed)

    def flush(self, *, closing: bool = False) -> int:
        """Write what piled up since the last flush; the number of rows written."""
        with self._flushing:
            with self._lock:
                batches, self._pending, self._pending_rows = self._pending, [], 0
                beats, self._beats = self._beats, []
                refused, self._refused = self._refused, 0
            try:
                touched = self._write(batches, beats, refused)
            except Exception:
                with self._lock:  # nothing is lost on a failed write: the rows go back first in line
                    self._pending[:0] = batches
                    self._pending_rows += sum(len(batch.seqs) for batch in batches)
                    self._beats[:0] = beats
                    self._refused += refused
                raise
            compacting = closing or time.monotonic() - self._compacted_at > self.compact_seconds
            if compacting:
                self._compact()
            for day in touched | (set(self._days) if closing or compacting else set()):
                self._write_manifest(self._days[day], closed=closing)
            self.flushes += 1
            return sum(len(batch.seqs) for batch in batches)

    def _compact(self) -> None:
        """This writer's segments of every day it wrote, rewritten per symbol (see marketdata/recorded.py)."""
        self._compacted_at = time.monotonic()
        for state in self._days.values():
            self._part += 1
            state.bytes += recorded.compact(self.root, state.day, self.writer, self._part)

    def _write(self, batches: list[Batch], beats: list[float], refused: int) -> set[str]:
        touched: set[str] = set()
        for beat in beats:
            moment = datetime.fromtimestamp(beat, clock.SHANGHAI)
            state = self._day(moment.date().isoformat())
            state.span(beat)
            state.fed_minutes.add(recorded.minute_index(moment))
            touched.add(state.day)
        by_day: dict[str, list[Batch]] = {}
        for batch in batches:
            if batch.seqs:
                by_day.setdefault(batch.day, []).append(batch)
        for day in sorted(by_day):
            table = recorded.table_of_pushes(
                [(b.epoch, b.accepted_at, b.source, b.pushes, b.seqs, b.statuses) for b in by_day[day]]
            )
            self._part += 1
            size = recorded.write_segment(self.root, day, self.writer, self._part, table)
            state = self._day(day)
            state.rows += table.num_rows
            state.bytes += size
            # Per symbol (not per tick): its rows and its last row of this flush.
            runs = recorded.symbol_runs(table)
            lasts = table.take(pa.array([start + length - 1 for _, start, length in runs], pa.int64()))
            last_rows = lasts.select(["seq", "timestamp", "epoch"]).to_pylist()
            for (symbol, _, length), last in zip(runs, last_rows, strict=True):
                entry = state.symbols.setdefault(symbol, {"rows": 0})
                entry.update(
                    rows=entry["rows"] + length,
                    last_seq=last["seq"],
                    last_timestamp=last["timestamp"],
                    epoch=last["epoch"],
                )
            stamps = table.column("ts")
            bounds = pc.min_max(stamps).as_py()
            state.span(bounds["min"])
            state.span(bounds["max"])
            # Each wall minute once, not each tick.
            minutes = pc.unique(pc.divide(pc.cast(stamps, pa.int64(), safe=False), 60)).to_pylist()
            for minute in minutes:
                moment = datetime.fromtimestamp(minute * 60, clock.SHANGHAI)
                state.fed_minutes.add(recorded.minute_index(moment))
            touched.add(day)
        if refused:
            today = self._day(clock.shanghai_today().isoformat())
            today.lost_rows += refused
            touched.add(today.day)
        return touched

    def _day(self, day: str) -> _Day:
        state = self._days.get(day)
        if state is None:
            state = self._days[day] = _Day(day)
        return state

    def _write_manifest(self, state: _Day, *, closed: bool) -> None:
        manifest = {
            "writer": self.writer,
            "pid": os.getpid(),
            "trading_day": state.day,
            "started_at": self.started_at,
            "written_at": clock.iso_now("milliseconds"),
            "recorded_from": _iso(state.recorded_from),
            "recorded_through": _iso(state.recorded_through),
            "closed": closed,
            "rows": state.rows,
            "bytes": state.bytes,
            "lost_rows": state.lost_rows,
            "flush_seconds": self.flush_seconds,
            "symbols": state.symbols,
            "fed_minutes": sorted(state.fed_minutes),
        }
        recorded.write_manifest(self.root, state.day, self.writer, manifest)

    def close(self) -> None:
        """Flush everything and mark this writer's manifests closed (clean shutdown)."""
        if self.closed:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        try:
            self.flush(closing=True)
        except Exception:
            logger.exception("recorder could not flush at shutdown")
        self.closed = True


def _iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    return datetime.fromtimestamp(moment, clock.SHANGHAI).isoformat(timespec="milliseconds")


_recorder: Recorder | None = None
_recorder_lock = threading.Lock()


def get_recorder() -> Recorder | None:
    """This process's recorder (built on first use), or None when ARGUS_RECORDER_ENABLED is off."""
    global _recorder
    if not settings.ARGUS_RECORDER_ENABLED:
        return None
    if _recorder is None or _recorder.closed:
        with _recorder_lock:
            if _recorder is None or _recorder.closed:
                _recorder = Recorder(
                    Path(settings.ARGUS_RECORDER_DIR),
                    flush_seconds=settings.ARGUS_RECORDER_FLUSH_SECONDS,
                    retention_days=settings.ARGUS_RECORDER_RETENTION_DAYS,
                    max_bytes=settings.ARGUS_RECORDER_MAX_MB * 1024 * 1024,
                    compact_seconds=settings.ARGUS_RECORDER_COMPACT_SECONDS,
                )
    return _recorder


def recorder_close() -> None:
    """Flush and close this process's recorder (clean shutdown; tests between settings)."""
    global _recorder
    with _recorder_lock:
        recorder, _recorder = _recorder, None
    if recorder is not None:
        recorder.close()


atexit.register(recorder_close)


def record_accepted(batch: Batch) -> None:
    """The ingest's hook: a batch of ticks it accepted (after dedup, numbered)."""
    recorder = get_recorder()
    if recorder is not None:
        recorder.record(batch)


def record_poll(moment: datetime) -> None:
    """The feed's hook: it polled in a trading phase at this exchange moment."""
    recorder = get_recorder()
    if recorder is not None:
        recorder.heartbeat(moment)
