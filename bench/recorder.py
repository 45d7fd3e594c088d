"""The tick recorder's cost and the replay's speed, each beside its baseline in the same run.

1. Ingest with the recorder off vs on (the same ticks, the same process): the most ticks/s
   `ticks_ingest` takes in batches of ARGUS_FEED_BATCH_SIZE (long enough for the writer to flush
   during the run), and the ingest's busy time at a paced 2,000 ticks/s (goal: the recorder costs
   at most 10 %). Off and on alternate `--repeat` times (a shared box drifts); each line shows the
   median and the range.
2. Archive bytes per recorded tick (Parquet, zstd).
3. Replay to one WebSocket client at speed "max" (ticks/s received), beside reading the same
   ticks from the archive alone (the replay's input).

In process, on the embedded default (memory stream store, temporary SQLite); `--redis` commits
through Redis as production does. Usage:

    .venv/bin/python bench/recorder.py [--symbols 2000] [--seconds 8] [--redis]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DAY = date(2024, 1, 15)
START = datetime(2024, 1, 15, 1, 30, tzinfo=UTC)  # 09:30 Shanghai


def _setup(redis_url: str | None) -> Path:
    scratch = Path(tempfile.mkdtemp(prefix="argus-bench-recorder-"))
    env = {
        "DJANGO_SETTINGS_MODULE": "argus_site.settings.base",
        "DATABASE_URL": f"sqlite:///{scratch / 'bench.sqlite3'}",
        "ARGUS_NAMESPACE": f"argus-bench-recorder-{os.getpid()}",
        "ARGUS_SECRET_KEY": "bench-only-" + "x" * 40,
        "ARGUS_LOG_LEVEL": "WARNING",
        "ARGUS_LOG_DIR": "-",
        "ARGUS_RECORDER_ENABLED": "false",
        "ARGUS_RECORDER_DIR": str(scratch / "archive"),
        "ARGUS_RECORDER_RETENTION_DAYS": "100000",
        "ARGUS_EMBEDDED_JOBS": "false",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return scratch


def _ticks(symbols: list[str], step: int) -> list[Any]:
    from marketdata.sources.base import Level, Tick

    moment = START + timedelta(seconds=step)
    out = []
    for index, symbol in enumerate(symbols):
        last = round(10.0 + 0.01 * ((step + index) % 300), 2)
        bids = tuple(Level(round(last - 0.01 * (i + 1), 2), 100 * (i + 1)) for i in range(5))
        asks = tuple(Level(round(last + 0.01 * (i + 1), 2), 100 * (i + 1)) for i in range(5))
        out.append(
            Tick(
                symbol=symbol,
                time=moment,
                trading_day=DAY,
                price=last,
                open=10.0,
                high=max(10.0, last),
                low=min(10.0, last),
                prev_close=9.9,
                volume=1000 * (step + 1),
                turnover=10000.0 * (step + 1),
                bids=bids,
                asks=asks,
            )
        )
    return out


def _reset(enabled: bool) -> None:
    from django.conf import settings

    from streaming import reset_streaming
    from streaming.recorder import recorder_close

    recorder_close()
    settings.ARGUS_RECORDER_ENABLED = enabled
    reset_streaming()


def max_throughput(symbols: list[str], steps: int, enabled: bool, first_step: int) -> float:
    """Ticks/s through ticks_ingest, unpaced (batches of ARGUS_FEED_BATCH_SIZE)."""
    from django.conf import settings

    from streaming.services.ticks import ticks_ingest

    _reset(enabled)
    names = dict.fromkeys(symbols, "bench")
    size = settings.ARGUS_FEED_BATCH_SIZE
    batches = [_ticks(symbols, first_step + s) for s in range(steps)]
    started = time.perf_counter()
    count = 0
    for ticks in batches:
        for at in range(0, len(ticks), size):
            count += ticks_ingest(ticks[at : at + size], names=names).published
    return count / (time.perf_counter() - started)


def paced(symbols: list[str], seconds: float, rate: int, enabled: bool, first_step: int) -> dict[str, float]:
    """`rate` ticks/s offered for `seconds`: the ingest's busy share of each second and per-batch latency."""
    from django.conf import settings

    from streaming.services.ticks import ticks_ingest

    _reset(enabled)
    names = dict.fromkeys(symbols, "bench")
    size = settings.ARGUS_FEED_BATCH_SIZE
    per_batch = size / rate
    latencies: list[float] = []
    busy = 0.0
    step = first_step
    pending: list[Any] = []
    due = time.perf_counter()
    end = due + seconds
    cpu = time.process_time()  # every thread of the process: the recorder's writer included
    while time.perf_counter() < end:
        if len(pending) < size:
            pending += _ticks(symbols, step)
            step += 1
        batch, pending = pending[:size], pending[size:]
        started = time.perf_counter()
        ticks_ingest(batch, names=names)
        took = time.perf_counter() - started
        latencies.append(took * 1e6)
        busy += took
        due += per_batch
        with contextlib.suppress(ValueError):
            time.sleep(max(0.0, due - time.perf_counter()))
    cpu = time.process_time() - cpu
    from streaming.recorder import recorder_close

    closing = time.process_time()
    recorder_close()  # the last flush and the compaction of every symbol (each ARGUS_RECORDER_COMPACT_SECONDS)
    closing = time.process_time() - closing
    latencies.sort()
    return {
        "cpu_pct": cpu / seconds * 100,
        "close_cpu_s": closing,
        "busy_pct": busy / seconds * 100,
        "p50_us": statistics.median(latencies),
        "p99_us": latencies[int(len(latencies) * 0.99)],
        "ticks": len(latencies) * size,
    }


@contextlib.contextmanager
def _server() -> Iterator[int]:
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config("argus_site.asgi:application", host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the bench server did not start")
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def replay_rate(port: int, symbols: list[str]) -> tuple[int, float]:
    """(ticks received, ticks/s) replaying DAY of `symbols` at speed max to one client."""
    from websockets.sync.client import connect

    request = {"action": "subscribe", "symbols": symbols, "replay": {"date": DAY.isoformat(), "speed": "max"}}
    with connect(f"ws://127.0.0.1:{port}/ws/market_data", origin="http://localhost", max_size=None) as ws:
        ws.send(json.dumps(request))
        received = 0
        started = time.perf_counter()
        while True:
            message = json.loads(ws.recv(timeout=60))
            if message["type"] == "market_data":
                received += 1
            elif message["type"] == "status" and message["data"].get("replay") == "ended":
                return received, received / (time.perf_counter() - started)
            elif message["type"] == "error":
                raise RuntimeError(message)


def _line(
    label: str, off: list[float], on: list[float], fmt: str, *, lower_is_cost: bool = False, cost: bool = True
) -> None:
    def cell(values: list[float]) -> str:
        return f"{fmt.format(statistics.median(values))} [{fmt.format(min(values))}-{fmt.format(max(values))}]"

    a, b = statistics.median(off), statistics.median(on)
    change = (1 - b / a if lower_is_cost else b / a - 1) if a and cost else None
    shown = "" if change is None else f"{change * 100:+.1f}%"
    print(f"{label:34}{cell(off):>20}{cell(on):>20}{shown:>16}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--symbols", type=int, default=2000, help="symbols in the market (one tick each per step)")
    parser.add_argument("--steps", type=int, default=30, help="steps of every symbol for the unpaced run")
    parser.add_argument("--repeat", type=int, default=3, help="off/on pairs of each measurement, alternated")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each paced run")
    parser.add_argument("--rate", type=int, default=2000, help="ticks/s of the paced run")
    parser.add_argument("--replay-symbols", type=int, default=50, help="symbols replayed to the client")
    parser.add_argument("--day-symbols", type=int, default=10, help="symbols of the full-day archive figure")
    parser.add_argument("--redis", default=None, help="commit through this Redis URL (production's store)")
    args = parser.parse_args()
    scratch = _setup(args.redis)
    from django.conf import settings

    from marketdata import recorded
    from marketdata.models import Instrument
    from marketdata.symbols import parse_symbol
    from streaming.recorder import recorder_close

    symbols = [f"{600000 + i:06d}.SH" for i in range(args.symbols)]
    store = "redis" if settings.USE_REDIS else "memory (embedded)"
    flush = settings.ARGUS_RECORDER_FLUSH_SECONDS
    print(
        f"recorder bench: {args.symbols} symbols, batches of {settings.ARGUS_FEED_BATCH_SIZE}, store {store}, "
        f"flush every {flush:g} s"
    )

    # Warm up both paths once (imports, first Parquet write).
    max_throughput(symbols[:200], 2, False, 0)
    max_throughput(symbols[:200], 2, True, 2)
    recorder_close()

    step = 100
    unpaced: dict[bool, list[float]] = {False: [], True: []}
    runs: dict[bool, list[dict[str, float]]] = {False: [], True: []}
    for _ in range(args.repeat):
        for enabled in (False, True):
            unpaced[enabled].append(max_throughput(symbols, args.steps, enabled, step))
            step += args.steps
    for _ in range(args.repeat):
        for enabled in (False, True):
            runs[enabled].append(paced(symbols, args.seconds, args.rate, enabled, step))
            step += int(args.seconds * args.rate / len(symbols)) + 2
    print(f"{'':34}{'off':>20}{'on':>20}{'cost (medians)':>16}   median [range] of {args.repeat}")
    _line("max ingest, ticks/s", unpaced[False], unpaced[True], "{:.0f}", lower_is_cost=True)
    for key, label in (
        ("busy_pct", f"at {args.rate} ticks/s: ingest busy %"),
        ("cpu_pct", f"at {args.rate} ticks/s: process CPU %"),
        ("close_cpu_s", "  then close: flush+compact, CPU s"),
        ("p50_us", "  per batch p50, µs"),
        ("p99_us", "  per batch p99, µs"),
    ):
        _line(
            label,
            [r[key] for r in runs[False]],
            [r[key] for r in runs[True]],
            "{:.1f}" if "pct" in key or key.endswith("_s") else "{:.0f}",
            cost=key != "close_cpu_s",
        )
    print(f"(compaction runs every {settings.ARGUS_RECORDER_COMPACT_SECONDS:g} s, and at close)")
    recorder_close()

    root = Path(settings.ARGUS_RECORDER_DIR)
    parquet = sum(p.stat().st_size for p in root.rglob("*.parquet"))
    rows = sum(m["rows"] for m in recorded.manifests(DAY, root=root))
    print(
        f"archive of the runs above: {rows} ticks ({rows // len(symbols)} per symbol) in {parquet / 1e6:.1f} MB: "
        f"{parquet / max(rows, 1):.1f} bytes/tick"
    )
    # A day's shape: a symbol ticks every 3 s for 4 hours, 4,800 ticks, in one compacted file.
    settings.ARGUS_RECORDER_DIR = str(scratch / "day")
    day_symbols = symbols[: args.day_symbols]
    _reset(True)
    from streaming.services.ticks import ticks_ingest

    names = dict.fromkeys(day_symbols, "bench")
    for step in range(4800):
        ticks_ingest(_ticks(day_symbols, step), names=names)
    recorder_close()
    day_root = Path(settings.ARGUS_RECORDER_DIR)
    day_bytes = sum(p.stat().st_size for p in day_root.rglob("*.parquet"))
    day_rows = sum(m["rows"] for m in recorded.manifests(DAY, root=day_root))
    print(
        f"a day's archive: {len(day_symbols)} symbols x 4800 ticks in {day_bytes / 1e6:.2f} MB: "
        f"{day_bytes / day_rows:.1f} bytes/tick"
    )
    settings.ARGUS_RECORDER_DIR = str(root)

    replayed = symbols[: args.replay_symbols]
    for symbol in replayed:
        info = parse_symbol(symbol)
        Instrument.objects.update_or_create(
            symbol=symbol, defaults={"name": "bench", "market": info.market, "board": info.board, "kind": info.kind}
        )
    started = time.perf_counter()
    read = sum(len(recorded.read_ticks(DAY, s, root=root)) for s in replayed)
    read_rate = read / (time.perf_counter() - started)
    with _server() as port:
        count, rate = replay_rate(port, replayed)
    print(f"{'':34}{'ticks':>12}{'ticks/s':>12}")
    print(f"{'archive read (replay input)':34}{read:12d}{read_rate:12.0f}")
    print(f"{'replay to one client, speed max':34}{count:12d}{rate:12.0f}")
    print(f"(scratch files in {scratch})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
