"""The feed: each ARGUS_FEED_INTERVAL, publish the market phase, bring in ticks, mark silent symbols stale.

Ticks come in one of two ways, and both end in ticks_ingest:
- poll (`feed_poll`): ask the source for the served symbols' snapshots. Celery beat runs it every
  ARGUS_FEED_INTERVAL (the embedded default in the server process), or `manage.py feed` does in a
  process of its own (`feed_poll_run`);
- push (feed_push.py, `manage.py feed --mode push`): the xtquant source pushes ticks, and the same
  interval work (`feed_interval`) runs beside.
A lock in the store (Redis SET NX PX in production) keeps polls from overlapping, however many
workers pick the task up. `manage.py feed` keeps it while it runs, in either mode, so beat's polls
then return ran=False instead of polling a second time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

import orjson
from django.conf import settings
from django.db import close_old_connections

from cachemgr.keys import feed_status_key
from cachemgr.services.backends import l2_put
from core import clock
from marketdata.calendar import db_calendar
from marketdata.payloads import iso_utc, market_status_payload
from marketdata.sessions import phase_at, shanghai
from marketdata.sources import get_source
from marketdata.sources.base import DataSource, Phase
from streaming import get_store
from streaming.directory import instrument_names
from streaming.hub import HEARTBEAT_SECONDS
from streaming.recorder import record_poll, recorder_close
from streaming.services.ticks import market_status_publish, symbol_status_publish, ticks_ingest
from streaming.store import StreamStore

logger = logging.getLogger("argus.feed")

LOCK = "feed-poll"
TRADING_PHASES = (Phase.CALL_AUCTION, Phase.CONTINUOUS, Phase.CLOSING_AUCTION)
# A symbol stays wanted this long after the last heartbeat of a process subscribed to it.
WANTED_SECONDS = 5 * HEARTBEAT_SECONDS
# (served symbols, in a trading phase?) -> (published, dropped): how one interval brings ticks in.
Collect = Callable[[list[str], bool], tuple[int, int]]


@dataclass(frozen=True, slots=True)
class PollResult:
    ran: bool  # False: another poll held the lock
    phase: str | None = None
    symbols: int = 0  # served: subscribed to somewhere, or every listed one (ARGUS_FEED_WHOLE_MARKET)
    published: int = 0
    dropped: int = 0
    stale: int = 0

    def summary(self) -> str:
        """One log line's worth."""
        if not self.ran:
            return "skipped: another poll holds the lock"
        counts = f"symbols={self.symbols} published={self.published} dropped={self.dropped} stale={self.stale}"
        return f"phase={self.phase} {counts}"


class FeedStateLog:
    """Logs the feed's state when it changes (phase, symbols served, stale symbols, errors), not every poll.

    A poll every 3 s logged each time is ~29k lines a day of nothing new; the lines here say when
    the market opened or closed, when subscriptions came and went, and when polls fail or recover.
    Every poll still logs at DEBUG.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: tuple[Any, ...] | None = None
        self._failing = False

    def polled(self, result: PollResult) -> None:
        logger.debug("feed poll: %s", result.summary())
        if not result.ran:
            return
        state = (result.phase, result.symbols, result.stale)
        with self._lock:
            changed, recovered = state != self._state, self._failing
            self._state, self._failing = state, False
        if recovered:
            logger.warning("feed polls succeed again: %s", result.summary())
        elif changed:
            logger.info("feed state: %s", result.summary())

    def failed(self) -> None:
        with self._lock:
            first, self._failing = not self._failing, True
        if first:
            logger.exception("feed poll failed (logged once until a poll succeeds)")
        else:
            logger.debug("feed poll failed again", exc_info=True)


feed_state_log = FeedStateLog()


def feed_lock_ttl() -> float:
    """How long the feed lock lives unless renewed: a few intervals, so a crashed holder frees it soon."""
    return max(3 * settings.ARGUS_FEED_INTERVAL, 10.0)


def market_moment(source: DataSource, now: datetime) -> datetime:
    """The exchange moment the source shows at `now` (a replaying simulator shows an earlier session)."""
    position_at = getattr(source, "position_at", None)
    if getattr(source, "clock", "real") == "replay" and position_at is not None:
        where = position_at(now)
        if where is not None:
            return where[1]
    return now


def feed_poll() -> PollResult:
    """One poll of the feed, unless another is running (anywhere)."""
    store = get_store()
    token = store.try_lock(LOCK, ttl=feed_lock_ttl())
    if token is None:
        return PollResult(ran=False)
    source = get_source()
    try:
        result = feed_interval(store, source, partial(_fetch, source))
    except Exception:
        feed_state_log.failed()
        raise
    finally:
        store.unlock(LOCK, token)
    feed_state_log.polled(result)
    return result


def feed_poll_run(stop: threading.Event) -> None:
    """Poll every ARGUS_FEED_INTERVAL until `stop` is set, logging state changes (`manage.py feed`).

    The lock is kept from one poll to the next (renewed each time), so Celery beat's polls stand
    aside while this runs and a second such process is a standby; it is released on the way out.
    """
    store, source = get_store(), get_source()
    interval = settings.ARGUS_FEED_INTERVAL
    token: str | None = None
    due = time.monotonic()
    try:
        while not stop.is_set():
            try:
                token = _keep_lock(store, token)
                result = feed_interval(store, source, partial(_fetch, source)) if token else PollResult(ran=False)
                feed_state_log.polled(result)
            except Exception:
                feed_state_log.failed()
            # As Django does after each request: the connection goes back to the pool (or is
            # dropped if it broke) while this loop waits.
            close_old_connections()
            # A poll slower than the interval is followed at once, not by a burst of catch-up polls.
            due = max(due + interval, time.monotonic())
            stop.wait(due - time.monotonic())
    finally:
        recorder_close()  # what this feed accepted is on disk before another takes over
        if token is not None:
            store.unlock(LOCK, token)


def _keep_lock(store: StreamStore, token: str | None) -> str | None:
    """Renew the feed lock if it is ours, else try to take it; None while another feed holds it."""
    if token is not None and store.extend_lock(LOCK, token, feed_lock_ttl()):
        return token
    return store.try_lock(LOCK, ttl=feed_lock_ttl())


def feed_interval(store: StreamStore, source: DataSource, collect: Collect) -> PollResult:
    """One interval's work under the feed lock (phase, ticks via `collect`, stale marks), recorded for /health."""
    try:
        result = _interval(store, source, collect)
    except Exception as exc:
        _report(source, ticks=0, error=f"{type(exc).__name__}: {exc}")
        raise
    _report(source, ticks=result.published, error=None)
    return result


def feed_symbols(store: StreamStore) -> list[str]:
    """The symbols the feed serves: those some connection subscribes to, or all (ARGUS_FEED_WHOLE_MARKET)."""
    if settings.ARGUS_FEED_WHOLE_MARKET:
        return sorted(instrument_names())
    return sorted(store.wanted_symbols(WANTED_SECONDS))


def _report(source: DataSource, *, ticks: int, error: str | None) -> None:
    """Leave the interval's outcome where /health reads it (cachemgr.keys.feed_status_key)."""
    report = {"last_poll": clock.timestamp(), "source": source.name, "ticks": ticks, "error": error}
    if not l2_put(feed_status_key(), report):
        logger.warning("could not record the feed poll for /health: Redis is unreachable")


def _interval(store: StreamStore, source: DataSource, collect: Collect) -> PollResult:
    now = clock.now()
    moment = market_moment(source, now)
    if source.end_of_day:
        # Daily closes have no session to show: closed, on the data's own day, whatever the hour.
        phase = Phase.CLOSED
        data_day = getattr(source, "latest_day", lambda: None)()
        _publish_phase(store, phase, moment, simulated=False, end_of_day=True, data_day=data_day)
    else:
        # The source's own reading of the calendar: the simulated market's goes on past coverage (provisional).
        calendar = getattr(source, "calendar", None) or db_calendar
        phase = phase_at(moment, "SH", calendar)
        is_provisional = getattr(calendar, "is_provisional", None)
        provisional = bool(is_provisional and is_provisional("SH", shanghai(moment).date()))
        _publish_phase(store, phase, moment, simulated=moment != now, provisional=provisional)
    symbols = feed_symbols(store)
    trading = phase in TRADING_PHASES
    if trading:
        record_poll(moment)  # the ledger tells "feed down" from "no trade" by these
    published, dropped = collect(symbols, trading)
    if trading:
        stale = _mark_stale(store, symbols)
    else:
        store.swap_stale(set())  # outside sessions nothing is expected to move, so nothing is stale
        stale = 0
    return PollResult(True, phase.value, len(symbols), published, dropped, stale)


def _fetch(source: DataSource, symbols: list[str], trading: bool) -> tuple[int, int]:
    """Poll: the symbols' snapshots in batches of ARGUS_FEED_BATCH_SIZE, ingested (nothing outside sessions)."""
    if not trading:
        return 0, 0
    names = instrument_names()
    published = dropped = 0
    size = settings.ARGUS_FEED_BATCH_SIZE
    for start in range(0, len(symbols), size):
        ticks = source.latest_ticks(symbols[start : start + size])
        result = ticks_ingest(ticks.values(), names=names)
        published += result.published
        dropped += result.dropped
    return published, dropped


def _publish_phase(
    store: StreamStore,
    phase: Phase,
    moment: datetime,
    *,
    simulated: bool,
    end_of_day: bool = False,
    data_day: date | None = None,
    provisional: bool = False,
) -> None:
    """Tell subscribers when the market phase changes (and keep it for the ack of new subscribers).

    An end-of-day source is `closed` with `end_of_day: true` and the data's own day as
    `trading_day` (null before any data). `calendar: provisional` marks a simulated day past the
    calendar's coverage (weekdays assumed open)."""
    status = market_status_payload(phase.value, moment, simulated=simulated, end_of_day=end_of_day, data_day=data_day)
    if provisional:
        status["calendar"] = "provisional"
    previous = store.swap("market", orjson.dumps(status).decode())
    old = orjson.loads(previous) if previous is not None else None
    if old is None or old.get("market_phase") != phase.value or old.get("calendar") != status.get("calendar"):
        market_status_publish(status)


def _mark_stale(store: StreamStore, symbols: list[str]) -> int:
    """Mark symbols with no new tick for ARGUS_FEED_STALE_INTERVALS intervals; clear those flowing again."""
    now = clock.timestamp()
    limit = settings.ARGUS_FEED_STALE_INTERVALS * settings.ARGUS_FEED_INTERVAL
    arrivals = store.arrivals(symbols, now)
    stale = {symbol for symbol, at in arrivals.items() if now - at > limit}
    added, cleared = store.swap_stale(stale)
    stamp = iso_utc(clock.now())
    for symbol in sorted(added):
        symbol_status_publish(symbol, "stale", day=None, at=stamp)
    for symbol in sorted(cleared):
        symbol_status_publish(symbol, "fresh", day=None, at=stamp)
    if added:
        logger.warning("feed stale for %d symbols: %s", len(added), ", ".join(sorted(added)[:10]))
    return len(stale)


def feed_status() -> dict[str, Any]:
    """What /health shows about the feed: the market status and the symbols currently stale."""
    store = get_store()
    stale = sorted(store.stale())
    return {"stale": bool(stale), "stale_symbols": stale[:50], "stale_count": len(stale)}
