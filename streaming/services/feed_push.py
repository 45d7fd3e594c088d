"""The push feed: xtquant's subscribe_whole_quote instead of polling, ending in the same ticks_ingest.

xtquant calls back on its own thread. There the feed only keeps the ticks of the symbols it serves,
in a TickBuffer (latest tick per symbol, at most ARGUS_FEED_PUSH_BUFFER symbols); its own loop
drains the buffer into ticks_ingest. A slow Redis therefore makes ticks conflate, never memory grow,
and xtquant's thread never waits on Redis.

One whole-market subscription rather than one per wanted symbol: the wanted set changes whenever a
client subscribes, and re-subscribing would churn MiniQMT's subscriptions and lose the ticks pushed
between an unsubscribe and the next subscribe. Which symbols are ingested is decided every interval
exactly as the poll decides what to fetch (feed_symbols), so Redis holds no more than with polling;
a symbol someone starts watching is served from its next push.

Every interval it also does what a poll does besides fetching (feed_interval: market phase, stale
marks, the /health record). It holds the poll's lock and renews it every interval, so polls
elsewhere (Celery beat's) return ran=False; a push feed that loses the lock unsubscribes and waits
for it, so a second one started beside it is a standby.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections

from marketdata.sources import get_source
from marketdata.sources.base import Tick
from marketdata.sources.xtquant import XtQuantSource
from streaming import get_store
from streaming.directory import instrument_names
from streaming.recorder import recorder_close
from streaming.services.feed import LOCK, feed_interval, feed_lock_ttl
from streaming.services.ticks import ticks_ingest
from streaming.store import StreamStore

logger = logging.getLogger("argus.feed")

# The ingest loop looks at its stop event at least this often, however quiet the market.
STOP_CHECK_SECONDS = 0.5


class TickBuffer:
    """The latest tick of each symbol, for at most `capacity` symbols: filled by one thread, drained by another."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._ticks: dict[str, Tick] = {}
        self._conflated = 0
        self._overflowed = 0

    def put(self, ticks: Iterable[Tick]) -> None:
        """Keep each tick, replacing a waiting one of its symbol; refuse new symbols past `capacity`."""
        with self._lock:
            for tick in ticks:
                if tick.symbol in self._ticks:
                    self._conflated += 1
                elif len(self._ticks) >= self.capacity:
                    self._overflowed += 1
                    continue
                self._ticks[tick.symbol] = tick
            if self._ticks:
                self._ready.set()

    def take(self, timeout: float) -> list[Tick]:
        """Everything waiting, after up to `timeout` seconds for something to arrive."""
        self._ready.wait(timeout)
        with self._lock:
            ticks = list(self._ticks.values())
            self._ticks.clear()
            self._ready.clear()
        return ticks

    def losses(self) -> tuple[int, int]:
        """(replaced by a newer tick, refused for want of room) since the last call."""
        with self._lock:
            counts = (self._conflated, self._overflowed)
            self._conflated = self._overflowed = 0
        return counts


def push_source() -> XtQuantSource:
    """The configured source if it can push (xtquant); ImproperlyConfigured naming the setting otherwise."""
    source = get_source()
    if not isinstance(source, XtQuantSource):
        raise ImproperlyConfigured(
            f"the push feed needs ARGUS_DATA_SOURCE=xtquant (MiniQMT's subscribe_whole_quote); the configured "
            f"source is {source.name!r}, which can only be polled: use --mode poll"
        )
    return source


def feed_push_run(stop: threading.Event) -> None:
    """Ingest xtquant's pushes until `stop` is set, holding the feed lock so that polls elsewhere stand aside."""
    source = push_source()
    store = get_store()
    while not stop.is_set():
        token = _take_lock(store, stop)
        if token is None:
            return
        try:
            if PushFeed(store, source, token).run(stop):
                return
        finally:
            recorder_close()  # what this feed accepted is on disk before another takes over
            store.unlock(LOCK, token)


def _take_lock(store: StreamStore, stop: threading.Event) -> str | None:
    """Wait for the feed lock (a poll holds it for a moment, another push feed for as long as it runs)."""
    waiting = False
    while not stop.is_set():
        try:
            token = store.try_lock(LOCK, ttl=feed_lock_ttl())
        except Exception:
            logger.exception("feed push: could not ask for the feed lock")
            token = None
        if token is not None:
            return token
        if not waiting:
            logger.info("feed push: waiting for the feed lock (another feed holds it)")
            waiting = True
        stop.wait(settings.ARGUS_FEED_INTERVAL)
    return None


class PushFeed:
    """The push feed while it holds the lock `token` (see the module docstring)."""

    def __init__(self, store: StreamStore, source: XtQuantSource, token: str) -> None:
        self.store, self.source, self.token = store, source, token
        self.buffer = TickBuffer(settings.ARGUS_FEED_PUSH_BUFFER)
        self.served: frozenset[str] = frozenset()
        self._published = self._dropped = 0

    def on_ticks(self, ticks: list[Tick]) -> None:
        """On xtquant's thread: keep the served symbols' ticks for the ingest loop, nothing slower."""
        served = self.served
        self.buffer.put(tick for tick in ticks if tick.symbol in served)

    def run(self, stop: threading.Event) -> bool:
        """Subscribe and ingest until `stop` is set (True) or the lock is lost (False); unsubscribe either way."""
        interval = settings.ARGUS_FEED_INTERVAL
        self.interval()  # the served symbols and their limit prices, before the first push
        with self.source.subscribe(self.on_ticks):
            due = time.monotonic() + interval
            while not stop.is_set():
                self.ingest(self.buffer.take(min(STOP_CHECK_SECONDS, max(0.0, due - time.monotonic()))))
                if time.monotonic() < due:
                    continue
                if not self._renew():
                    logger.error("feed push: lost the feed lock; unsubscribed until it is free again")
                    return False
                self.interval()
                close_old_connections()  # back to the pool until the next interval, as after a request
                due = max(due + interval, time.monotonic())
        return True

    def ingest(self, ticks: list[Tick]) -> None:
        if not ticks:
            return
        try:
            result = ticks_ingest(ticks, names=instrument_names())
        except Exception:
            logger.exception("feed push: %d ticks could not be ingested", len(ticks))
            return
        self._published += result.published
        self._dropped += result.dropped

    def interval(self) -> None:
        """What a poll does besides fetching; one log line with what was ingested since the last one."""
        try:
            result = feed_interval(self.store, self.source, self._collect)
        except Exception:
            logger.exception("feed push: the interval's work failed")
            return
        conflated, overflowed = self.buffer.losses()
        logger.info("feed push: %s conflated=%d", result.summary(), conflated)
        if overflowed:
            logger.warning(
                "feed push: %d ticks refused, the buffer held ARGUS_FEED_PUSH_BUFFER=%d symbols",
                overflowed,
                self.buffer.capacity,
            )

    def _collect(self, symbols: list[str], trading: bool) -> tuple[int, int]:
        """Serve `symbols` from now on; what was ingested since the last interval (pushes arrive in any phase)."""
        self.served = frozenset(symbols)
        try:
            self.source.prefetch_limits(symbols)  # here, not on xtquant's thread, where an RPC could deadlock
        except Exception:
            logger.warning("feed push: limit prices not fetched; pushes carry none until they are", exc_info=True)
        counts = (self._published, self._dropped)
        self._published = self._dropped = 0
        return counts

    def _renew(self) -> bool:
        """Extend the lock; a Redis error is not a loss (the lock outlives a short outage, ttl > interval)."""
        try:
            return self.store.extend_lock(LOCK, self.token, feed_lock_ttl())
        except Exception:
            logger.exception("feed push: could not renew the feed lock")
            return True
