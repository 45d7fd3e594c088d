"""Tick ingest: the one place every tick goes through, whichever feed (poll or push) brought it."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import orjson

from cachemgr.keys import latest_quote_key
from cachemgr.services import cache_store
from cachemgr.services.quotebytes import QuoteBytes, quote_bytes_put
from core import clock
from core.renderers import dumps
from marketdata.payloads import iso_utc, push_payload, quote_payload, symbol_status_payload
from marketdata.selectors.common import source_identity
from marketdata.sources.base import Tick, TickStatus
from streaming import get_store
from streaming.directory import instrument_names
from streaming.recorder import Batch, get_recorder

logger = logging.getLogger("argus.feed")


@dataclass(frozen=True, slots=True)
class IngestResult:
    received: int
    published: int
    dropped: int
    seqs: dict[str, int] = field(default_factory=dict)  # the last seq given to each symbol
    epoch: str | None = None  # the numbering those seqs belong to (None: nothing was published)


def tick_fingerprint(tick: Tick) -> str:
    """`<status>|<digest of everything a subscriber sees>`: equal fingerprints mean an unchanged tick."""
    content = (tick.time.timestamp(), tick.price, tick.open, tick.high, tick.low, tick.prev_close)
    digest = hashlib.blake2b(repr((content, tick.volume, tick.turnover, tick.bids, tick.asks)).encode(), digest_size=8)
    return f"{tick.status.value}|{digest.hexdigest()}"


def ticks_ingest(ticks: Iterable[Tick], *, names: Mapping[str, str] | None = None) -> IngestResult:
    """Drop unchanged ticks; sequence, write through the cache, buffer and publish the rest."""
    batch = list(ticks)
    store = get_store()
    previous = store.fingerprints([t.symbol for t in batch])
    names = names if names is not None else instrument_names()
    source, simulated = source_identity()
    by_day: dict[str, list[tuple[str, str, bytes]]] = {}
    statuses: dict[str, list[str]] = {}  # for the recorder, beside by_day
    changed_status: list[Tick] = []
    serialised: list[tuple[str, QuoteBytes]] = []
    stored_at = clock.timestamp()
    for tick in batch:
        fingerprint = tick_fingerprint(tick)
        before = previous.get(tick.symbol)
        if before == fingerprint:
            continue
        if before is not None and before.split("|", 1)[0] != tick.status.value:
            changed_status.append(tick)
        previous[tick.symbol] = fingerprint
        quote = quote_payload(tick, name=names.get(tick.symbol, ""))
        cache_store("LATEST_DATA", latest_quote_key(tick.symbol), quote)
        # Serialised once here for the fast path's /latest (cachemgr/services/quotebytes.py).
        serialised.append((tick.symbol, QuoteBytes(stored_at, str(quote["timestamp"]), dumps(quote))))
        # The stream's copy is a new dict; the cached quote (which L1 holds as this very object)
        # keeps the /latest shape whichever level answers.
        pushed = push_payload(tick, quote, simulated=simulated)
        by_day.setdefault(pushed["trading_day"], []).append((tick.symbol, fingerprint, orjson.dumps(pushed)))
        statuses.setdefault(pushed["trading_day"], []).append(tick.status.value)
    quote_bytes_put(serialised)
    seqs: dict[str, int] = {}
    published = 0
    epoch: str | None = None
    recorder = get_recorder()
    for day, items in sorted(by_day.items()):
        epoch, day_seqs = store.commit(day, items)
        for (symbol, _, _), seq in zip(items, day_seqs, strict=True):
            seqs[symbol] = seq
            published += 1
        if recorder is not None:
            # One list append of what is already built (the serialised pushes, their seqs): no
            # object per tick, and the file I/O and the columns are the recorder thread's.
            pushes = b"\n".join([raw for _, _, raw in items])
            recorder.record(Batch(day, epoch, clock.timestamp(), source, pushes, day_seqs, statuses[day]))
    for tick in changed_status:
        symbol_status_publish(tick.symbol, tick.status.value, day=tick.trading_day.isoformat(), at=iso_utc(tick.time))
    return IngestResult(
        received=len(batch), published=published, dropped=len(batch) - published, seqs=seqs, epoch=epoch
    )


def symbol_status_publish(symbol: str, state: str, *, day: str | None, at: str | None) -> None:
    """Tell a symbol's subscribers its state changed (trading, suspended, limit_up, limit_down, stale)."""
    message = symbol_status_payload(symbol, state, day=day, at=at)
    get_store().publish_status(orjson.dumps({"status": message}))


def market_status_publish(status: Mapping[str, object]) -> None:
    """Tell every subscriber where the market is (phase, simulated trading day and time)."""
    get_store().publish_status(orjson.dumps({"status": dict(status)}))


__all__ = ["IngestResult", "TickStatus", "market_status_publish", "symbol_status_publish", "ticks_ingest"]
