"""Per-second measurement buckets over a sliding window: requests, errors, latency and busy time."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from core import clock

WINDOW_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Totals:
    requests: int
    errors: int
    ms_sum: float
    busy: float  # connection-seconds spent in use
    seconds: float  # how long the totals cover


class Window:
    """Counts per wall-clock second, kept for WINDOW_SECONDS; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # second -> [requests, errors, ms_sum, busy]
        self.buckets: dict[int, list[float]] = {}
        self.started = clock.timestamp()

    def _bucket(self, now: float) -> list[float]:
        second = int(now)
        bucket = self.buckets.get(second)
        if bucket is None:
            bucket = self.buckets[second] = [0, 0, 0.0, 0.0]
            for old in [s for s in self.buckets if s <= second - WINDOW_SECONDS]:
                del self.buckets[old]
        return bucket

    def record(self, ms: float, *, ok: bool) -> None:
        with self._lock:
            bucket = self._bucket(clock.timestamp())
            bucket[0] += 1
            bucket[1] += 0 if ok else 1
            bucket[2] += ms

    def add_busy(self, connection_seconds: float) -> None:
        with self._lock:
            self._bucket(clock.timestamp())[3] += connection_seconds

    def export(self) -> list[list[float]]:
        """The buckets as [second, requests, errors, ms_sum, busy] rows (what processes publish)."""
        oldest = clock.timestamp() - WINDOW_SECONDS
        with self._lock:
            return [[second, *values] for second, values in self.buckets.items() if second > oldest]


def totals(rows: list[list[float]], *, last: float, started: float, now: float | None = None) -> Totals:
    """Sum exported rows (of one or many processes) over the `last` seconds."""
    now = clock.timestamp() if now is None else now
    since = now - min(last, WINDOW_SECONDS)
    picked = [row for row in rows if row[0] + 1 > since]
    return Totals(
        requests=int(sum(row[1] for row in picked)),
        errors=int(sum(row[2] for row in picked)),
        ms_sum=sum(row[3] for row in picked),
        busy=sum(row[4] for row in picked),
        seconds=max(min(now - since, now - started), 1e-3),
    )
