"""What bench/ws_fanout.py drives and measures with: the publisher process, client processes, process
and Redis memory, and the servers under test."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_api import process  # noqa: E402
from bench.wsload import Target, worker  # noqa: E402

FIELDS = ["price", "volume"]


# --- the publisher: a Django process that ingests ticks through the real service ----------------
def publisher(conn: Any, env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from marketdata.sessions import shanghai
    from marketdata.sources.base import Level, Tick
    from streaming.directory import instrument_names
    from streaming.services.ticks import ticks_ingest

    names = instrument_names()
    steps: Counter[str] = Counter()

    def tick(symbol: str, now: datetime) -> Tick:
        steps[symbol] += 1
        step = steps[symbol]
        last = round(10.0 + 0.01 * (step % 500), 2)
        bids = tuple(Level(round(last - 0.01 * (i + 1), 2), 100 * (i + 1)) for i in range(5))
        asks = tuple(Level(round(last + 0.01 * (i + 1), 2), 100 * (i + 1)) for i in range(5))
        return Tick(
            symbol=symbol,
            time=now,
            trading_day=shanghai(now).date(),
            price=last,
            open=10.0,
            high=15.0,
            low=9.0,
            prev_close=10.0,
            volume=100 * step,
            turnover=1000.0 * step,
            bids=bids,
            asks=asks,
        )

    while True:
        command, kwargs = conn.recv()
        if command == "exit":
            conn.send({})
            return
        symbols: list[str] = kwargs["symbols"]
        rate: float = kwargs["rate"]  # ticks per second
        seconds: float = kwargs["seconds"]
        period = 0.02
        ingested: dict[tuple[str, int], float] = {}
        costs: list[float] = []
        owed = 0.0
        cursor = 0
        started = time.perf_counter()
        next_at = started
        while time.perf_counter() - started < seconds:
            owed += rate * period
            count, owed = int(owed), owed - int(owed)
            if count:
                batch = []
                now = datetime.now(UTC)
                for _ in range(count):
                    batch.append(tick(symbols[cursor % len(symbols)], now))
                    cursor += 1
                at = time.time()
                result = ticks_ingest(batch, names=names)
                costs.append(time.time() - at)
                for symbol, seq in result.seqs.items():
                    ingested[(symbol, seq)] = at
            next_at += period
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        conn.send({"ingested": ingested, "seconds": time.perf_counter() - started, "costs": costs})


# --- helpers ------------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every process in a process group (a uvicorn parent and its workers)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def redis_mb(client: redis.Redis) -> float:
    info: dict[str, Any] = client.info("memory")  # type: ignore[assignment]
    return float(info["used_memory"]) / 1024 / 1024


class Clients:
    """Load-generator processes (bench/wsload.py); commands go to all, answers are merged."""

    def __init__(self, target: Target, processes: int) -> None:
        ctx = mp.get_context("spawn")
        self.pipes = []
        self.procs = []
        for _ in range(processes):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker, args=(child, target), daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.procs.append(proc)

    def call(
        self, command: str, per_process: list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> list[dict[str, Any]]:
        for index, pipe in enumerate(self.pipes):
            pipe.send((command, per_process[index] if per_process else kwargs))
        answers = [pipe.recv() for pipe in self.pipes]
        for answer in answers:
            if "error" in answer:
                raise RuntimeError(answer["error"])
        return answers

    def spread(self, command: str, specs: list[dict[str, Any]], *, concurrency: int) -> dict[str, Any]:
        """Run `command` (open, resubscribe) with the specs and the concurrency shared out among the processes."""
        n = len(self.pipes)
        shares = [{"specs": specs[i::n], "concurrency": max(1, concurrency // n)} for i in range(n)]
        return merge(self.call(command, shares))

    def open(self, specs: list[dict[str, Any]], *, concurrency: int) -> dict[str, Any]:
        return self.spread("open", specs, concurrency=concurrency)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.call("exit")
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()


def merge(answers: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for answer in answers:
        for key, value in answer.items():
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            elif isinstance(value, (int, float)) and key != "seconds":
                merged[key] = merged.get(key, 0) + value
            elif key == "seconds":
                merged[key] = max(merged.get(key, 0.0), value)
            else:
                merged[key] = value
    return merged


@contextlib.contextmanager
def server(cmd: list[str], env: dict[str, str], port: int) -> Iterator[int]:
    """A server process; yields its process group id (for RSS)."""
    with process(cmd, env, port):
        yield _pgid_listening(port)


def _pgid_listening(port: int) -> int:
    """The process group of whoever listens on `port` (the server, not this script)."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "0A":
                    inode = parts[9]
                    break
        if inode:
            break
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if str(fd.readlink()) == f"socket:[{inode}]":
                        return os.getpgid(int(entry.name))
    raise RuntimeError(f"nobody listens on {port}")
