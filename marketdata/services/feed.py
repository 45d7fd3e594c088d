"""The feed poll: ask the source for the wanted symbols' snapshots and hand them to ticks_ingest.

Celery beat runs it every ARGUS_FEED_INTERVAL (the embedded default runs it in the server process).
A lock in the store (Redis SET NX PX in production) keeps polls from overlapping, however many
workers pick the task up. Outside trading sessions it only publishes the market status.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from django.conf import settings
from django.core.cache import cache

from cachemgr.keys import feed_status_key
from marketdata.calendar import db_calendar
from marketdata.payloads import iso_utc
from marketdata.services.ticks import market_status_publish, symbol_status_publish, ticks_ingest
from marketdata.sessions import phase_at, shanghai
from marketdata.sources import get_source
from marketdata.sources.base import DataSource, Phase
from marketdata.streaming import get_store
from marketdata.streaming.directory import instrument_names
from marketdata.streaming.hub import HEARTBEAT_SECONDS
from marketdata.streaming.store import StreamStore

logger = logging.getLogger("argus.feed")

LOCK = "feed-poll"
TRADING_PHASES = (Phase.CALL_AUCTION, Phase.CONTINUOUS, Phase.CLOSING_AUCTION)
# A symbol stays wanted this long after the last heartbeat of a process subscribed to it.
WANTED_SECONDS = 5 * HEARTBEAT_SECONDS


@dataclass(frozen=True, slots=True)
class PollResult:
    ran: bool  # False: another poll held the lock
    phase: str | None = None
    symbols: int = 0
    published: int = 0
    dropped: int = 0
    stale: int = 0


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
    token = store.try_lock(LOCK, ttl=max(3 * settings.ARGUS_FEED_INTERVAL, 10.0))
    if token is None:
        return PollResult(ran=False)
    source = get_source()
    try:
        result = _poll(store, source)
    except Exception as exc:
        _report_poll(source, ticks=0, error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        store.unlock(LOCK, token)
    _report_poll(source, ticks=result.published, error=None)
    return result


def _report_poll(source: DataSource, *, ticks: int, error: str | None) -> None:
    """Leave the poll's outcome where /health reads it (cachemgr.keys.feed_status_key)."""
    report = {"last_poll": time.time(), "source": source.name, "ticks": ticks, "error": error}
    try:
        cache.set(feed_status_key(), report, timeout=None)
    except Exception:
        logger.warning("could not record the feed poll for /health", exc_info=True)


def _poll(store: StreamStore, source: DataSource) -> PollResult:
    now = datetime.now(UTC)
    moment = market_moment(source, now)
    phase = phase_at(moment, "SH", db_calendar)
    _publish_phase(store, phase, moment, simulated=moment != now)
    if phase not in TRADING_PHASES:
        store.swap_stale(set())
        return PollResult(ran=True, phase=phase.value)
    if settings.ARGUS_FEED_WHOLE_MARKET:
        symbols = sorted(instrument_names())
    else:
        symbols = sorted(store.wanted_symbols(WANTED_SECONDS))
    names = instrument_names()
    published = dropped = 0
    size = settings.ARGUS_FEED_BATCH_SIZE
    for start in range(0, len(symbols), size):
        ticks = source.latest_ticks(symbols[start : start + size])
        result = ticks_ingest(ticks.values(), names=names)
        published += result.published
        dropped += result.dropped
    stale = _mark_stale(store, symbols)
    return PollResult(True, phase.value, len(symbols), published, dropped, stale)


def _publish_phase(store: StreamStore, phase: Phase, moment: datetime, *, simulated: bool) -> None:
    """Tell subscribers when the market phase changes (and keep it for the ack of new subscribers)."""
    local = shanghai(moment)
    status: dict[str, Any] = {
        "market_phase": phase.value,
        "trading_day": local.date().isoformat(),
        "simulated": simulated,
    }
    if simulated:
        status["simulated_time"] = iso_utc(moment)
    previous = store.swap("market", orjson.dumps(status).decode())
    if previous is None or orjson.loads(previous).get("market_phase") != phase.value:
        market_status_publish(status)


def _mark_stale(store: StreamStore, symbols: list[str]) -> int:
    """Mark symbols with no new tick for ARGUS_FEED_STALE_INTERVALS intervals; clear those flowing again."""
    now = time.time()
    limit = settings.ARGUS_FEED_STALE_INTERVALS * settings.ARGUS_FEED_INTERVAL
    arrivals = store.arrivals(symbols, now)
    stale = {symbol for symbol, at in arrivals.items() if now - at > limit}
    added, cleared = store.swap_stale(stale)
    stamp = iso_utc(datetime.now(UTC))
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
