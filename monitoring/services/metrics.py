"""Request and WebSocket counters, summed over every server process.

The hot path only adds to in-process counters under a lock; a background thread flushes them to
the shared store every ARGUS_METRICS_FLUSH_INTERVAL seconds in one Redis pipeline (or, in the
embedded default, into process memory). Readers flush their own process first, so a process always
sees its own requests; other processes' requests appear within one flush interval.
"""

from __future__ import annotations

import bisect
import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings

from cachemgr.keys import redis_key
from core import clock
from core.redis import shared_redis
from monitoring.services.shared import warn_every

logger = logging.getLogger("argus.monitoring")

# Latency histogram bounds in seconds (Prometheus convention); the last bucket is +Inf.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_BUCKET_LABELS = (*(str(b) for b in BUCKETS), "+Inf")  # the first bucket b with seconds <= b
WS_STALE_SECONDS = 15


@dataclass
class Pending:
    """What this process counted since its last flush."""

    requests: int = 0
    errors: int = 0
    duration_ms: float = 0.0
    seconds: dict[int, list[float]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0.0]))
    hist: Counter[str] = field(default_factory=Counter)
    hist_sum: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))


class _Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pending = Pending()
        self.ws_active = 0
        self.proc_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def ensure_flusher(self) -> None:
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        with self.lock:
            if self._pid != os.getpid():  # forked: start clean under a new id
                self.__init__()  # type: ignore[misc]
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="argus-metrics-flush", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            time.sleep(settings.ARGUS_METRICS_FLUSH_INTERVAL)
            metrics_flush()

    def take(self) -> tuple[Pending, int]:
        with self.lock:
            taken, self.pending = self.pending, Pending()
            return taken, self.ws_active


_recorder = _Recorder()


def endpoint_of(route: str | None) -> str:
    """The histogram label: the URL pattern, so label values stay few."""
    return "/" + route if route else "unmatched"


def request_record(*, endpoint: str, status: int, duration_ms: float) -> None:
    """Count one served request (cheap: in-process only)."""
    _recorder.ensure_flusher()
    second = int(clock.timestamp())
    bucket = _BUCKET_LABELS[bisect.bisect_left(BUCKETS, duration_ms / 1000)]
    error = status >= 500
    with _recorder.lock:
        p = _recorder.pending
        p.requests += 1
        p.errors += error
        p.duration_ms += duration_ms
        row = p.seconds[second]
        row[0] += 1
        row[1] += error
        row[2] += duration_ms
        p.hist[f"{endpoint}|{bucket}"] += 1
        p.hist_sum[endpoint] += duration_ms / 1000


def ws_connection_opened() -> None:
    """The WebSocket consumer calls this on accept; /api/v1/metrics/service reports the sum."""
    _recorder.ensure_flusher()
    with _recorder.lock:
        _recorder.ws_active += 1


def ws_connection_closed() -> None:
    """The WebSocket consumer calls this on disconnect (only for connections it accepted)."""
    with _recorder.lock:
        _recorder.ws_active = max(0, _recorder.ws_active - 1)


def metrics_flush() -> None:
    """Move this process's pending counts into the shared store; on failure keep them for next time."""
    pending, ws_active = _recorder.take()
    try:
        store().add(pending, _recorder.proc_id, ws_active)
    except Exception as exc:
        warn_every(logger, "metrics flush (Redis)", exc)
        with _recorder.lock:
            _merge(_recorder.pending, pending)


def _merge(into: Pending, extra: Pending) -> None:
    into.requests += extra.requests
    into.errors += extra.errors
    into.duration_ms += extra.duration_ms
    for second, row in extra.seconds.items():
        target = into.seconds[second]
        for i in range(3):
            target[i] += row[i]
    into.hist.update(extra.hist)
    for endpoint, total in extra.hist_sum.items():
        into.hist_sum[endpoint] += total


@dataclass(frozen=True)
class Snapshot:
    """Figures summed over all processes."""

    requests_total: int
    errors_total: int
    window: list[list[float]]  # [requests, errors, duration_ms] per second of the sliding window
    hist: dict[str, float]
    hist_sum: dict[str, float]
    ws_active: int


class LocalStore:
    """The embedded default's store: this one process is the whole service."""

    def __init__(self) -> None:
        self.totals = Pending()
        self.ws: dict[str, tuple[int, float]] = {}
        self.lock = threading.Lock()

    def add(self, pending: Pending, proc_id: str, ws_active: int) -> None:
        with self.lock:
            _merge(self.totals, pending)
            horizon = int(clock.timestamp()) - settings.ARGUS_METRICS_WINDOW - 1
            for second in [s for s in self.totals.seconds if s < horizon]:
                del self.totals.seconds[second]
            self.ws[proc_id] = (ws_active, clock.timestamp())

    def snapshot(self, window: int) -> Snapshot:
        now = int(clock.timestamp())
        with self.lock:
            t = self.totals
            rows = [list(t.seconds[s]) for s in range(now - window + 1, now + 1) if s in t.seconds]
            ws = sum(n for n, at in self.ws.values() if clock.timestamp() - at < WS_STALE_SECONDS)
            return Snapshot(t.requests, t.errors, rows, dict(t.hist), dict(t.hist_sum), ws)


class RedisStore:
    """Redis-native counters (HINCRBY), so sums over processes and machines are exact."""

    def add(self, pending: Pending, proc_id: str, ws_active: int) -> None:
        redis = shared_redis()
        pipe = redis.pipeline(transaction=False)  # type: ignore[union-attr]
        totals = redis_key("metrics", "totals")
        if pending.requests:
            pipe.hincrby(totals, "requests", pending.requests)
            pipe.hincrby(totals, "errors", pending.errors)
            pipe.hincrbyfloat(totals, "duration_ms", pending.duration_ms)
        for second, (n, errors, ms) in pending.seconds.items():
            key = redis_key("metrics", "sec", second)
            pipe.hincrby(key, "n", int(n))
            pipe.hincrby(key, "e", int(errors))
            pipe.hincrbyfloat(key, "d", ms)
            pipe.expire(key, settings.ARGUS_METRICS_WINDOW * 2 + 10)
        hist = redis_key("metrics", "hist")
        for name, count in pending.hist.items():
            pipe.hincrby(hist, name, count)
        for name, total in pending.hist_sum.items():
            pipe.hincrbyfloat(redis_key("metrics", "hist_sum"), name, total)
        pipe.hset(redis_key("metrics", "ws"), proc_id, f"{ws_active}:{clock.timestamp()}")
        pipe.execute()

    def snapshot(self, window: int) -> Snapshot:
        redis = shared_redis()
        now = int(clock.timestamp())
        pipe = redis.pipeline(transaction=False)  # type: ignore[union-attr]
        pipe.hgetall(redis_key("metrics", "totals"))
        for second in range(now - window + 1, now + 1):
            pipe.hgetall(redis_key("metrics", "sec", second))
        pipe.hgetall(redis_key("metrics", "hist"))
        pipe.hgetall(redis_key("metrics", "hist_sum"))
        pipe.hgetall(redis_key("metrics", "ws"))
        results: list[dict[bytes, bytes]] = pipe.execute()
        totals, rows = results[0], results[1:-3]
        hist, hist_sum, ws = results[-3], results[-2], results[-1]
        window_rows = [[float(r[b"n"]), float(r[b"e"]), float(r[b"d"])] for r in rows if r]
        ws_active = 0
        for value in ws.values():
            count, at = value.decode().split(":")
            ws_active += int(count) if clock.timestamp() - float(at) < WS_STALE_SECONDS else 0
        return Snapshot(
            int(totals.get(b"requests", 0)),
            int(totals.get(b"errors", 0)),
            window_rows,
            {k.decode(): float(v) for k, v in hist.items()},
            {k.decode(): float(v) for k, v in hist_sum.items()},
            ws_active,
        )


_local_store = LocalStore()


def store() -> LocalStore | RedisStore:
    """The shared store of this topology."""
    return RedisStore() if settings.USE_REDIS else _local_store


def metrics_snapshot() -> Snapshot:
    """Flush this process, then read the figures of all processes."""
    metrics_flush()
    return store().snapshot(settings.ARGUS_METRICS_WINDOW)


def metrics_reset() -> None:
    """Forget every counted figure, in this process and in the shared store (tests, operators)."""
    _recorder.take()
    global _local_store
    _local_store = LocalStore()
    redis = shared_redis()
    if redis is not None:
        keys = list(redis.scan_iter(match=redis_key("metrics", "*"), count=1000))
        if keys:
            redis.delete(*keys)
