"""The tick archive on disk: Parquet files per trading day and symbol, and the manifests saying where it ends.

Layout under ARGUS_RECORDER_DIR (which may be a shared filesystem path):

    <YYYY-MM-DD>/_segments/<writer>-<n>.parquet  one file per flush of one writer: every symbol, sorted
    <YYYY-MM-DD>/<symbol>/<writer>-<n>.parquet   a writer's segments compacted, one file per symbol
    <YYYY-MM-DD>/_manifest/<writer>.json         that writer's account of the day, rewritten atomically

A flush writes one segment (so a flush every 2 s of 2,000 symbols is one file, not 2,000 tiny
ones); every ARGUS_RECORDER_COMPACT_SECONDS and at shutdown the writer rewrites its segments into
per-symbol files and deletes them. Readers read both and drop duplicates by (epoch, seq), so a
crash between writing a compacted file and deleting its segments shows every tick once.

A writer is one recording process (streaming/recorder.py); its files never collide with another's,
so a process that took the feed over (a restart, a Celery worker taking the lock) writes beside
the old one. A manifest tells, in the recorded ticks' own time (their `timestamp`, the exchange
moment they show), from when to when that writer has everything on disk (`recorded_from`,
`recorded_through`: the last flush), whether it ended cleanly (`closed`), the last seq and time it
flushed per symbol, and the trading minutes in which the feed polled (`fed_minutes`, indices 0-239),
which tells a minute the feed was down in from a minute nothing traded in.

The writer lives in streaming (it hooks the tick ingest); reading is here, below the REST views,
the coverage ledger and the replay, which all read the same files.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson
import pyarrow.parquet as pq
from django.conf import settings

from marketdata.payloads import QUOTE_FIELDS
from marketdata.sessions import AFTERNOON, MINUTES_PER_SESSION, MORNING, exchange_moment, shanghai

MANIFEST_DIR = "_manifest"
SEGMENT_DIR = "_segments"
# One row per accepted tick: the quote shape, plus the stream's seq/epoch/day and its provenance.
SCHEMA = pa.schema(
    [
        ("symbol", pa.string()),
        ("seq", pa.int64()),
        ("epoch", pa.string()),
        ("trading_day", pa.string()),
        ("timestamp", pa.string()),  # ISO 8601 UTC, as the push showed it
        ("ts", pa.float64()),  # the same moment, epoch seconds (ordering, time windows)
        ("recorded_at", pa.float64()),  # when the ingest accepted it (epoch seconds of core.clock)
        ("name", pa.string()),
        ("price", pa.float64()),
        ("change", pa.float64()),
        ("change_pct", pa.float64()),
        ("volume", pa.int64()),
        ("turnover", pa.float64()),
        ("high", pa.float64()),
        ("low", pa.float64()),
        ("open", pa.float64()),
        ("prev_close", pa.float64()),
        ("status", pa.string()),
        ("simulated", pa.bool_()),
        ("simulated_time", pa.string()),
        ("source", pa.string()),
    ]
)
COLUMNS = tuple(SCHEMA.names)
# What a recorded tick shows (REST, MCP, replay): the quote shape plus seq and the stream's fields.
QUOTE_COLUMNS = QUOTE_FIELDS


def archive_dir() -> Path:
    return Path(settings.ARGUS_RECORDER_DIR)


def day_dir(day: date | str, root: Path | None = None) -> Path:
    return (root or archive_dir()) / (day if isinstance(day, str) else day.isoformat())


def _write(folder: Path, name: str, table: pa.Table) -> Path:
    """Write a Parquet file atomically (readers never see half a file)."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    partial = folder / f".{name}.tmp"
    pq.write_table(table, partial, compression="zstd", row_group_size=65536)
    partial.replace(final)
    return final


def write_segment(root: Path, day: str, writer: str, number: int, table: pa.Table) -> int:
    """One flush's rows of `day` (every symbol, sorted by symbol); bytes written."""
    path = _write(day_dir(day, root) / SEGMENT_DIR, f"{writer}-{number:06d}.parquet", table)
    return path.stat().st_size


def compact(root: Path, day: str, writer: str, number: int) -> int:
    """Rewrite `writer`'s segments of `day` as one file per symbol, then delete them; bytes written."""
    folder = day_dir(day, root) / SEGMENT_DIR
    segments = sorted(folder.glob(f"{writer}-*.parquet")) if folder.is_dir() else []
    if not segments:
        return 0
    table = pa.concat_tables([pq.read_table(path, schema=SCHEMA) for path in segments])
    # One pass: sorted by symbol (acceptance order kept within each), then a slice per symbol.
    table = table.sort_by([("symbol", "ascending"), ("recorded_at", "ascending"), ("seq", "ascending")])
    written = 0
    for symbol, start, length in symbol_runs(table):
        path = _write(day_dir(day, root) / symbol, f"{writer}-{number:06d}.parquet", table.slice(start, length))
        written += path.stat().st_size
    for path in segments:  # only now: a crash before this leaves duplicates, which readers drop
        path.unlink(missing_ok=True)
    return written


def write_manifest(root: Path, day: str, writer: str, manifest: dict[str, Any]) -> None:
    """Replace a writer's manifest of `day` atomically (write aside, fsync, rename)."""
    folder = day_dir(day, root) / MANIFEST_DIR
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{writer}.json.tmp"
    with partial.open("wb") as handle:
        handle.write(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(folder / f"{writer}.json")


def manifests(day: date | str, root: Path | None = None) -> list[dict[str, Any]]:
    """Every writer's manifest of `day`, oldest writer first."""
    folder = day_dir(day, root) / MANIFEST_DIR
    found: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        with contextlib.suppress(OSError, orjson.JSONDecodeError):
            found.append(orjson.loads(path.read_bytes()))
    return sorted(found, key=lambda m: (m.get("recorded_from") or "", m.get("writer") or ""))


def recorded_days(root: Path | None = None) -> list[str]:
    base = root or archive_dir()
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and _is_day(p.name))


def _is_day(name: str) -> bool:
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return len(name) == 10


def read_ticks(
    day: date | str,
    symbol: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    root: Path | None = None,
) -> list[dict[str, Any]]:
    """`symbol`'s recorded ticks of `day` with `start <= timestamp <= end`, in acceptance order."""
    return read_many(day, [symbol], start=start, end=end, root=root)[symbol]


def read_many(
    day: date | str,
    symbols: Sequence[str],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    root: Path | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Each symbol's recorded ticks of `day` in the window, in acceptance order; each segment read once.

    Order: by when the ingest accepted them, then seq (one writer's rows are already in that order;
    two writers of one day, e.g. before and after a restart, interleave by acceptance time).
    Segments are read before the symbols' files: a compaction between the two moves rows from the
    first to the second, so a row is read twice (and dropped once) rather than missed.
    """
    wanted = list(dict.fromkeys(symbols))
    tables: list[pa.Table] = []
    segments = day_dir(day, root) / SEGMENT_DIR
    for path in sorted(segments.glob("*.parquet")) if segments.is_dir() else ():
        # FileNotFoundError: compacted meanwhile (its rows are in the symbols' files by then).
        with contextlib.suppress(OSError, pa.ArrowInvalid):
            tables.append(pq.read_table(path, schema=SCHEMA, filters=[("symbol", "in", wanted)]))
    for symbol in wanted:
        folder = day_dir(day, root) / symbol
        for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else ():
            with contextlib.suppress(OSError, pa.ArrowInvalid):
                tables.append(pq.read_table(path, schema=SCHEMA))
    found: dict[str, list[dict[str, Any]]] = {symbol: [] for symbol in wanted}
    if not tables:
        return found
    rows = pa.concat_tables(tables).to_pylist()
    rows.sort(key=lambda r: (r["recorded_at"], r["seq"]))
    low = start.timestamp() if start is not None else None
    high = end.timestamp() if end is not None else None
    seen: set[tuple[str, str, int]] = set()
    for row in rows:
        key = (row["symbol"], row["epoch"], row["seq"])
        if key in seen:  # a crash mid-compaction leaves a tick in a segment and a symbol file
            continue
        seen.add(key)
        if (low is None or row["ts"] >= low) and (high is None or row["ts"] <= high):
            found[row["symbol"]].append(row)
    return found


def quote_of(row: dict[str, Any]) -> dict[str, Any]:
    """A recorded row in the quote shape plus seq, trading_day and the stream's flags."""
    quote = {name: row[name] for name in QUOTE_COLUMNS}
    quote["seq"] = row["seq"]
    quote["trading_day"] = row["trading_day"]
    quote["status"] = row["status"]
    quote["simulated"] = row["simulated"]
    if row.get("simulated_time"):
        quote["simulated_time"] = row["simulated_time"]
    return quote


# The pushes' own fields, as `push_payload` serialises them (flat JSON objects); the rest of SCHEMA
# is the stream's (seq, epoch, when accepted, status, source) and is added per batch.
PUSH_SCHEMA = pa.schema(
    [field for field in SCHEMA if field.name not in {"seq", "epoch", "ts", "recorded_at", "status", "source"}]
)
_JSON_PARSE = pajson.ParseOptions(explicit_schema=PUSH_SCHEMA, unexpected_field_behavior="ignore")
# One thread: the writer must not take the second core from the ingest (Arrow releases the GIL).
_JSON_READ = pajson.ReadOptions(use_threads=False, block_size=1 << 22)


def table_of_pushes(
    batches: Sequence[tuple[str, float, str | None, bytes, Sequence[int], Sequence[str]]],
) -> pa.Table:
    """One day's segment, built in bulk from what the ingest already had, sorted by symbol.

    Each batch is (epoch, accepted at, source, the pushes as serialised JSON joined by newlines,
    their seqs, their statuses). The JSON is parsed by Arrow (C++, GIL released), the per-batch
    values become repeated columns, `ts` is cast from the ISO timestamps: no Python object per tick, so the
    writer thread does not take the GIL from the ingest for long (bench/recorder.py)."""
    raw = b"\n".join([batch[3] for batch in batches])
    table = pajson.read_json(io.BytesIO(raw), read_options=_JSON_READ, parse_options=_JSON_PARSE)
    sizes = [len(batch[4]) for batch in batches]
    moments = pc.cast(table.column("timestamp"), pa.timestamp("us", tz="UTC"))
    columns = {
        "seq": pa.array(list(chain.from_iterable(batch[4] for batch in batches)), pa.int64()),
        "epoch": _repeated([batch[0] for batch in batches], sizes, pa.string()),
        # Microseconds / 1e6 in float64: the same float as datetime.timestamp() (both round once).
        "ts": pc.divide(pc.cast(pc.cast(moments, pa.int64()), pa.float64()), 1e6),
        "recorded_at": _repeated([batch[1] for batch in batches], sizes, pa.float64()),
        "status": pa.array(list(chain.from_iterable(batch[5] for batch in batches)), pa.string()),
        "source": _repeated([batch[2] for batch in batches], sizes, pa.string()),
    }
    table = pa.table([columns[name] if name in columns else table.column(name) for name in COLUMNS], schema=SCHEMA)
    # Stable (Arrow's sort is): acceptance order kept within each symbol.
    return table.take(pc.sort_indices(table, sort_keys=[("symbol", "ascending")]))


def _repeated(values: Sequence[Any], sizes: Sequence[int], kind: pa.DataType) -> pa.ChunkedArray:
    return pa.chunked_array([pa.repeat(pa.scalar(v, kind), n) for v, n in zip(values, sizes, strict=True)], kind)


def symbol_runs(table: pa.Table) -> list[tuple[str, int, int]]:
    """(symbol, first row, rows) of each run of one symbol in a table sorted by symbol."""
    symbols = table.column("symbol").combine_chunks()
    count = len(symbols)
    if not count:
        return []
    changes = pc.indices_nonzero(pc.not_equal(symbols.slice(0, count - 1), symbols.slice(1))).to_pylist()
    starts = [0, *(i + 1 for i in changes)]
    ends = [*(i + 1 for i in changes), count]
    names = symbols.take(pa.array(starts, pa.int64())).to_pylist()
    return [(name, start, end - start) for name, start, end in zip(names, starts, ends, strict=True)]


# --- Minutes of a trading day (the ledger's and the manifests' unit) ---


def minute_index(moment: datetime) -> int:
    """The trading minute (0-239, bars 09:31 ... 15:00) a moment's tick counts towards.

    Ticks of the opening call auction (before 09:30) count towards the first minute, ticks at or
    after 11:30 in the lunch break towards 11:30's, ticks at or after 15:00 towards the last (as
    xtquant folds the auction into the 09:31 bar and stamps the closing auction 15:00)."""
    local = shanghai(moment).time()
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    morning = MORNING[0].hour * 3600 + MORNING[0].minute * 60
    afternoon = AFTERNOON[0].hour * 3600
    if seconds < afternoon:
        return max(0, min(MINUTES_PER_SESSION - 1, (seconds - morning) // 60))
    return MINUTES_PER_SESSION + max(0, min(MINUTES_PER_SESSION - 1, (seconds - afternoon) // 60))


def minute_label(index: int) -> str:
    """`HH:MM` of the START of trading minute `index` (09:30 ... 11:29, 13:00 ... 14:59)."""
    start = MORNING[0] if index < MINUTES_PER_SESSION else AFTERNOON[0]
    total = start.hour * 60 + start.minute + index % MINUTES_PER_SESSION
    return f"{total // 60:02d}:{total % 60:02d}"


def minute_bounds(day: date, index: int) -> tuple[datetime, datetime]:
    start = MORNING[0] if index < MINUTES_PER_SESSION else AFTERNOON[0]
    first = exchange_moment(day, start) + timedelta(minutes=index % MINUTES_PER_SESSION)
    return first, first + timedelta(minutes=1)


# --- Retention ---


def archive_bytes(root: Path) -> dict[str, int]:
    """Bytes on disk per recorded day."""
    sizes: dict[str, int] = {}
    for day in recorded_days(root):
        total = 0
        for path in (root / day).rglob("*"):
            with contextlib.suppress(OSError):
                if path.is_file():
                    total += path.stat().st_size
        sizes[day] = total
    return sizes


def prune(root: Path, *, keep_days: int, max_bytes: int, today: str) -> list[str]:
    """Delete the oldest days past `keep_days`, then more of the oldest while over `max_bytes`.

    `today` (and anything after it) is never deleted. Returns the days deleted."""
    sizes = archive_bytes(root)
    days = sorted(sizes)
    cutoff = (date.fromisoformat(today) - timedelta(days=keep_days)).isoformat()
    doomed = [d for d in days if d < cutoff]
    total = sum(sizes[d] for d in days if d not in doomed)
    for day in days:
        if day in doomed or day >= today:
            continue
        if total <= max_bytes:
            break
        doomed.append(day)
        total -= sizes[day]
    for day in doomed:
        shutil.rmtree(root / day, ignore_errors=True)
    return doomed


def iter_symbols(day: date | str, root: Path | None = None) -> Iterable[str]:
    folder = day_dir(day, root)
    if not folder.is_dir():
        return []
    symbols = {p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("_")}
    segments = folder / SEGMENT_DIR
    for path in sorted(segments.glob("*.parquet")) if segments.is_dir() else ():
        with contextlib.suppress(OSError, pa.ArrowInvalid):
            symbols.update(pq.read_table(path, columns=["symbol"]).column("symbol").to_pylist())
    return sorted(symbols)
