"""Latest quotes and full snapshots: cache first (the feed keeps them fresh), the source on a miss."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from cachemgr.keys import latest_full_key, latest_quote_key
from cachemgr.services import Peeked, cache_count, cache_fetch, cache_peek
from core.errors import NotFound
from marketdata.payloads import (
    FullSelection,
    full_payload,
    provenance,
    provenance_of,
    quote_payload,
    select_fields,
    trim_full,
)
from marketdata.selectors.common import CacheSummary, current_source, from_source, instrument_names, source_identity
from marketdata.sources.base import DataSource, Tick

LATEST_MAX_SYMBOLS = 100
FULL_MAX_SYMBOLS = 20
TRADES_LIMIT = 20


@dataclass(frozen=True, slots=True)
class QuotesResult:
    """Payloads keyed by symbol, whether all came from cache, the oldest cached age, and provenance."""

    data: dict[str, dict[str, Any]]
    cache_hit: bool
    cache_age_seconds: float | None
    source: dict[str, Any]


class _TickBatch:
    """Loads the ticks of every symbol still missing in one source call, on the first miss."""

    def __init__(self, source: DataSource, symbols: Sequence[str]) -> None:
        self.source = source
        self.symbols = list(symbols)
        self.ticks: dict[str, Tick] | None = None

    def tick(self, symbol: str) -> Tick:
        if self.ticks is None:
            remaining = self.symbols[self.symbols.index(symbol) :]
            self.ticks = from_source(
                self.source, f"latest ticks of {', '.join(remaining)}", lambda: self.source.latest_ticks(remaining)
            )
        tick = self.ticks.get(symbol)
        if tick is None:
            raise NotFound(f"{symbol}: the source '{self.source.name}' has no quote for it (not traded there)")
        return tick


def _quote(batch: _TickBatch, symbol: str, name: str) -> dict[str, Any]:
    return quote_payload(batch.tick(symbol), name=name)


def latest_quotes(
    *, symbols: Sequence[str], fields: Sequence[str] | None = None, use_cache: bool = True
) -> QuotesResult:
    """The spec's quote per symbol (cut to `fields`), from the LATEST_DATA cache or the source."""
    names = instrument_names(symbols)
    source = current_source()
    batch = _TickBatch(source, symbols)
    summary = CacheSummary()
    quotes: dict[str, dict[str, Any]] = {}
    for symbol in symbols:
        result = cache_fetch(
            "LATEST_DATA",
            latest_quote_key(symbol),
            partial(_quote, batch, symbol, names[symbol]),
            use_cache=use_cache,
        )
        quotes[symbol] = summary.add(result)
    as_of = min((quote["timestamp"] for quote in quotes.values()), default=None)
    return QuotesResult(
        data={symbol: select_fields(quote, fields) for symbol, quote in quotes.items()},
        cache_hit=summary.hit,
        cache_age_seconds=summary.age_seconds,
        source=provenance(source, as_of=as_of),
    )


def cached_latest_quotes(*, symbols: Sequence[str], fields: Sequence[str] | None = None) -> QuotesResult | None:
    """Latest quotes from the cache alone (no database, no source); None when any symbol is not cached."""
    summary = CacheSummary()
    quotes: dict[str, dict[str, Any]] = {}
    found: list[Peeked[Any]] = []
    missed = False
    for symbol in symbols:  # every symbol is looked up, so a loop view learns every key it lacks
        peeked = cache_peek("LATEST_DATA", latest_quote_key(symbol))
        if peeked is None:
            missed = True
            continue
        found.append(peeked)
        quotes[symbol] = summary.add(peeked.result)
    if missed:
        return None  # Django answers, and counts, every lookup of this request
    cache_count(found)
    name, simulated = source_identity()
    return QuotesResult(
        data={symbol: select_fields(quote, fields) for symbol, quote in quotes.items()},
        cache_hit=True,
        cache_age_seconds=summary.age_seconds,
        source=provenance_of(name, simulated=simulated, as_of=min(quote["timestamp"] for quote in quotes.values())),
    )


def full_snapshots(
    *,
    symbols: Sequence[str],
    sections: Sequence[str],
    depth: int,
    use_cache: bool = True,
    selection: FullSelection | None = None,
) -> QuotesResult:
    """Basic quote, order book to `depth` and recent trades per symbol (LATEST_DATA cache, then the source)."""
    names = instrument_names(symbols)
    source = current_source()
    batch = _TickBatch(source, symbols)
    summary = CacheSummary()
    snapshots: dict[str, dict[str, Any]] = {}

    def load(symbol: str) -> dict[str, Any]:
        tick = batch.tick(symbol)
        trades = from_source(
            source, f"recent trades of {symbol}", lambda: source.recent_trades(symbol, limit=TRADES_LIMIT)
        )
        return full_payload(tick, trades, name=names[symbol])

    for symbol in symbols:
        result = cache_fetch("LATEST_DATA", latest_full_key(symbol), partial(load, symbol), use_cache=use_cache)
        snapshots[symbol] = summary.add(result)
    as_of = min((snap["basic"]["timestamp"] for snap in snapshots.values()), default=None)
    return QuotesResult(
        data={
            symbol: trim_full(snap, sections=sections, depth=depth, selection=selection)
            for symbol, snap in snapshots.items()
        },
        cache_hit=summary.hit,
        cache_age_seconds=summary.age_seconds,
        source=provenance(source, as_of=as_of),
    )
