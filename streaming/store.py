"""Where the live-quote stream keeps its shared state: sequences, replay buffers, registries, locks.

Numbering: each symbol's pushes carry a `seq` that is contiguous within an **epoch**, an opaque token
that changes whenever the counters start afresh: every new trading day, and whenever the store lost
them (a Redis restart without persistence, a failover, FLUSHDB; the embedded default's process
restart). A client compares epochs, never seqs across epochs (as Centrifugo's offset + epoch).

Two backends behind one interface. `MemoryStore` is the embedded default (one process: the feed runs
in a worker thread of the server). `RedisStore` (redis_store.py) is production: sequences are INCR
counters, replay buffers are Redis streams, pushes go out on one pub/sub channel, and several web
processes plus a separate feed process share all of it.

The sync methods are called by the feed (ingest, poller) from a worker thread; the async ones by
the WebSocket hub on the event loop.
"""

from __future__ import annotations

import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core import clock

# A published batch: (symbol, seq, quote dict with trading_day) items, or a status message.
Publisher = Callable[[bytes], None]


@dataclass(frozen=True, slots=True)
class Entry:
    """One buffered push: its per-symbol sequence number within `epoch`, and the full quote."""

    seq: int
    quote: dict[str, Any]
    epoch: str


def new_epoch() -> str:
    """A fresh epoch token (random: two stores, or one store twice, never hand out the same)."""
    return secrets.token_hex(6)


@dataclass(frozen=True, slots=True)
class ProcessStats:
    connections: int
    subscriptions: int
    messages_sent: int
    started_at: float


class StreamStore(ABC):
    """Shared state of the stream; see the module docstring for who calls what."""

    # --- feed side (sync) ---
    @abstractmethod
    def fingerprints(self, symbols: Sequence[str]) -> dict[str, str]:
        """The fingerprint of each symbol's last ingested tick (unchanged ticks are dropped)."""

    @abstractmethod
    def commit(self, day: str, items: Sequence[tuple[str, str, bytes]]) -> tuple[str, list[int]]:
        """Give each (symbol, fingerprint, quote JSON) its next seq, buffer it, publish it: (epoch, seqs in order)."""

    @abstractmethod
    def publish_status(self, message: bytes) -> None:
        """Send a status message to every process's subscribers."""

    @abstractmethod
    def wanted_symbols(self, max_age: float) -> set[str]:
        """Symbols some connection subscribed to within the last `max_age` seconds."""

    @abstractmethod
    def arrivals(self, symbols: Sequence[str], now: float) -> dict[str, float]:
        """When each symbol last had a new tick (symbols seen for the first time start now)."""

    @abstractmethod
    def swap_stale(self, stale: set[str]) -> tuple[set[str], set[str]]:
        """Record the stale set; return (newly stale, recovered)."""

    @abstractmethod
    def stale(self) -> set[str]:
        """Symbols currently marked stale."""

    @abstractmethod
    def swap(self, name: str, value: str) -> str | None:
        """Set a named value (e.g. the market status); return the one it replaced."""

    @abstractmethod
    async def value(self, name: str) -> str | None:
        """Read a value set with `swap`."""

    @abstractmethod
    def try_lock(self, name: str, ttl: float) -> str | None:
        """Take a named lock that expires after `ttl` seconds; a token, or None when held elsewhere."""

    @abstractmethod
    def extend_lock(self, name: str, token: str, ttl: float) -> bool:
        """Make a lock taken with `try_lock` expire `ttl` seconds from now; False when it is no longer ours."""

    @abstractmethod
    def unlock(self, name: str, token: str) -> None:
        """Release a lock taken with `try_lock` (only if still ours)."""

    # --- hub side (async) ---
    @abstractmethod
    async def latest(self, symbols: Sequence[str]) -> dict[str, Entry]:
        """The newest buffered entry of each symbol in the current epoch (today's numbering)."""

    @abstractmethod
    async def replay(self, symbol: str, after: int, epoch: str | None = None) -> list[Entry] | None:
        """Entries after `after` in the current epoch; None when the buffer cannot cover them all, or
        when `epoch` is given and is not the current one (the client's seqs belong to other counters)."""

    @abstractmethod
    async def epoch(self) -> str | None:
        """The current epoch (None: nothing was numbered yet today)."""

    @abstractmethod
    async def touch(self, symbols: Iterable[str]) -> None:
        """Tell the feed these symbols are wanted (refreshed by every process's heartbeat)."""

    @abstractmethod
    async def report(self, process_id: str, stats: ProcessStats, ttl: float) -> None:
        """Record this process's counters for `ttl` seconds."""

    @abstractmethod
    async def gather(self) -> list[ProcessStats]:
        """Counters of every live process."""


class MemoryStore(StreamStore):
    """The embedded default's store: plain Python structures guarded by one lock."""

    def __init__(self, *, buffer_size: int, publisher: Publisher) -> None:
        self._lock = threading.Lock()
        self._buffer_size = buffer_size
        self._publish = publisher
        self._day = ""
        self._epoch = new_epoch()  # a new process counts afresh: its clients must not resume
        self._seq: dict[str, int] = {}
        self._buffers: dict[str, deque[Entry]] = {}
        self._fingerprints: dict[str, str] = {}
        self._arrivals: dict[str, float] = {}
        self._wanted: dict[str, float] = {}
        self._stale: set[str] = set()
        self._locks: dict[str, tuple[str, float]] = {}
        self._processes: dict[str, tuple[ProcessStats, float]] = {}
        self._values: dict[str, str] = {}

    def fingerprints(self, symbols: Sequence[str]) -> dict[str, str]:
        with self._lock:
            return {s: self._fingerprints[s] for s in symbols if s in self._fingerprints}

    def commit(self, day: str, items: Sequence[tuple[str, str, bytes]]) -> tuple[str, list[int]]:
        import orjson

        seqs: list[int] = []
        batch: list[Any] = []
        now = clock.timestamp()
        with self._lock:
            if day != self._day:
                # A new trading day starts every sequence and buffer afresh, in a new epoch (the
                # process's first day keeps the epoch it started with).
                if self._day:
                    self._epoch = new_epoch()
                self._day, self._seq, self._buffers = day, {}, {}
            epoch = self._epoch
            for symbol, fingerprint, raw in items:
                seq = self._seq.get(symbol, 0) + 1
                self._seq[symbol] = seq
                quote = orjson.loads(raw)
                buffer = self._buffers.setdefault(symbol, deque(maxlen=self._buffer_size))
                buffer.append(Entry(seq, quote, epoch))
                self._fingerprints[symbol] = fingerprint
                self._arrivals[symbol] = now
                seqs.append(seq)
                batch.append([seq, quote])
            # Published under the lock so every process sees batches in seq order.
            self._publish(orjson.dumps({"epoch": epoch, "quotes": batch}))
        return epoch, seqs

    def publish_status(self, message: bytes) -> None:
        self._publish(message)

    def wanted_symbols(self, max_age: float) -> set[str]:
        cutoff = clock.timestamp() - max_age
        with self._lock:
            return {s for s, at in self._wanted.items() if at >= cutoff}

    def arrivals(self, symbols: Sequence[str], now: float) -> dict[str, float]:
        with self._lock:
            return {s: self._arrivals.setdefault(s, now) for s in symbols}

    def swap_stale(self, stale: set[str]) -> tuple[set[str], set[str]]:
        with self._lock:
            added, cleared = stale - self._stale, self._stale - stale
            self._stale = set(stale)
        return added, cleared

    def stale(self) -> set[str]:
        with self._lock:
            return set(self._stale)

    def swap(self, name: str, value: str) -> str | None:
        with self._lock:
            old = self._values.get(name)
            self._values[name] = value
            return old

    async def value(self, name: str) -> str | None:
        with self._lock:
            return self._values.get(name)

    def try_lock(self, name: str, ttl: float) -> str | None:
        import uuid

        now = time.monotonic()
        with self._lock:
            held = self._locks.get(name)
            if held is not None and held[1] > now:
                return None
            token = uuid.uuid4().hex
            self._locks[name] = (token, now + ttl)
            return token

    def extend_lock(self, name: str, token: str, ttl: float) -> bool:
        now = time.monotonic()
        with self._lock:
            held = self._locks.get(name)
            if held is None or held[0] != token or held[1] <= now:
                return False
            self._locks[name] = (token, now + ttl)
            return True

    def unlock(self, name: str, token: str) -> None:
        with self._lock:
            if self._locks.get(name, ("", 0.0))[0] == token:
                del self._locks[name]

    async def latest(self, symbols: Sequence[str]) -> dict[str, Entry]:
        with self._lock:
            return {s: self._buffers[s][-1] for s in symbols if self._buffers.get(s)}

    async def replay(self, symbol: str, after: int, epoch: str | None = None) -> list[Entry] | None:
        with self._lock:
            if epoch is not None and epoch != self._epoch:
                return None
            current = self._seq.get(symbol, 0)
            if after > current:
                return None
            entries = [e for e in self._buffers.get(symbol, ()) if e.seq > after]
        if after < current and (not entries or entries[0].seq != after + 1):
            return None
        return entries

    async def epoch(self) -> str | None:
        with self._lock:
            return self._epoch if self._day else None

    async def touch(self, symbols: Iterable[str]) -> None:
        now = clock.timestamp()
        with self._lock:
            self._wanted.update(dict.fromkeys(symbols, now))

    async def report(self, process_id: str, stats: ProcessStats, ttl: float) -> None:
        with self._lock:
            self._processes[process_id] = (stats, time.monotonic() + ttl)

    async def gather(self) -> list[ProcessStats]:
        now = time.monotonic()
        with self._lock:
            return [stats for stats, until in self._processes.values() if until > now]
