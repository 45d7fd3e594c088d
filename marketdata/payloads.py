"""One contract per payload: the shapes REST, WebSocket and MCP all send are built here.

Stable functions (other interfaces import them; change them only with every caller):
- `quote_payload(tick, name=)`: the spec's quote object (GET /latest). It is also the value cached
  under `cachemgr.keys.latest_quote_key(symbol)` with rule LATEST_DATA: the feed writes it there
  (`cache_store("LATEST_DATA", latest_quote_key(symbol), quote_payload(tick, name=name))`) and the
  REST fast path serves it as is.
- `full_payload(tick, trades, name=)`: the spec's full snapshot (GET /full) with every book level
  the source has; `trim_full` cuts it to the asked sections and depth.
- `bar_payload(bar, prev_close=, factor=, digits=)`: one history row (GET /history).
- `instrument_payload(info, price=)`: the spec's instrument detail (GET /instrument_detail).
- `provenance(source, as_of=)`: where data came from; every market-data response carries it.
- `push_payload(tick, quote)`, `symbol_status_payload(...)`, `market_status_payload(...)`: the
  WebSocket push and status shapes (streaming sends them as built here).
Values cached or pushed are never mutated after they are built: a variant is a new dict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from marketdata.sessions import shanghai
from marketdata.sources.base import Bar, DataSource, InstrumentInfo, Level, Tick, Trade

# The spec's quote fields (GET /api/v1/market_data/latest), in the spec's order.
QUOTE_FIELDS = (
    "symbol",
    "name",
    "price",
    "change",
    "change_pct",
    "volume",
    "turnover",
    "high",
    "low",
    "open",
    "prev_close",
    "timestamp",
)
# The spec's `basic` section of GET /full.
BASIC_FIELDS = ("symbol", "name", "price", "change", "change_pct", "volume", "turnover", "timestamp")
FULL_SECTIONS = ("basic", "orderbook", "trades")
BAR_FIELDS = ("date", "open", "high", "low", "close", "volume", "turnover", "change", "change_pct")


def iso_utc(moment: datetime) -> str:
    """2024-01-15T09:30:00.123Z: UTC, milliseconds, a Z (`moment` must be aware)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def quote_payload(tick: Tick, *, name: str) -> dict[str, Any]:
    """The spec's quote object for one tick."""
    return {
        "symbol": tick.symbol,
        "name": name,
        "price": tick.price,
        "change": tick.change,
        "change_pct": tick.change_pct,
        "volume": tick.volume,
        "turnover": tick.turnover,
        "high": tick.high,
        "low": tick.low,
        "open": tick.open,
        "prev_close": tick.prev_close,
        # A replayed session is stamped with the moment it reproduces (one clock per answer).
        "timestamp": iso_utc(tick.simulated_time or tick.time),
    }


def push_payload(tick: Tick, quote: dict[str, Any], *, simulated: bool) -> dict[str, Any]:
    """A WebSocket `market_data` push of `tick`: a new dict (the cached `quote` is never touched)
    adding the stream's own fields, `trading_day`, the `simulated` flag (the source's name is in the
    subscribe ack, once per symbol) and, for a replayed session, `simulated_time`."""
    pushed = {**quote, "trading_day": tick.trading_day.isoformat(), "simulated": simulated}
    if tick.simulated_time is not None:
        pushed["simulated_time"] = iso_utc(tick.simulated_time)
    return pushed


def stream_provenance(name: str, *, simulated: bool) -> dict[str, Any]:
    """What the subscribe ack states once per symbol: the source, simulated, replayed."""
    return {"source": name, "simulated": simulated, "replayed": bool(simulated and _replayed_day(name))}


def symbol_status_payload(symbol: str, state: str, *, day: str | None, at: str | None) -> dict[str, Any]:
    """A symbol's WebSocket status: trading, suspended, limit_up, limit_down, closed, stale or fresh."""
    return {"symbol": symbol, "state": state, "trading_day": day, "timestamp": at}


def market_status_payload(
    phase: str, moment: datetime, *, simulated: bool, end_of_day: bool = False, data_day: date | None = None
) -> dict[str, Any]:
    """The market's WebSocket status: its phase and trading day (`moment` in the exchange's zone);
    a replayed session adds `simulated_time`; end-of-day data is `end_of_day` on the data's own day."""
    local = shanghai(moment)
    status: dict[str, Any] = {"market_phase": phase, "trading_day": local.date().isoformat(), "simulated": simulated}
    if end_of_day:
        status["end_of_day"] = True
        status["trading_day"] = data_day.isoformat() if data_day is not None else None
    if simulated:
        status["simulated_time"] = iso_utc(moment)
    return status


def select_fields(payload: dict[str, Any], fields: Sequence[str] | None) -> dict[str, Any]:
    """The payload cut to `fields` (in the asked order); None keeps it whole."""
    if not fields:
        return payload
    return {name: payload[name] for name in fields if name in payload}


def _levels(levels: Iterable[Level]) -> list[dict[str, Any]]:
    return [{"price": level.price, "volume": level.volume} for level in levels]


def trade_payload(trade: Trade) -> dict[str, Any]:
    """One recent trade: price, volume (shares), direction (buy, sell or neutral), timestamp."""
    return {
        "price": trade.price,
        "volume": trade.volume,
        "direction": trade.direction,
        "timestamp": iso_utc(trade.time),
    }


def full_payload(tick: Tick, trades: Sequence[Trade], *, name: str) -> dict[str, Any]:
    """The spec's full snapshot with every book level the source gave; `trim_full` cuts it per request."""
    quote = quote_payload(tick, name=name)
    return {
        "basic": {field: quote[field] for field in BASIC_FIELDS},
        "orderbook": {"bids": _levels(tick.bids), "asks": _levels(tick.asks)},
        "trades": [trade_payload(trade) for trade in trades],
    }


# /full's `fields` also takes the user guide's names (fields=price,volume,bid,ask): a basic field
# selects it from `basic` (with the symbol), `bid`/`ask` (or `bids`/`asks`) one side of the book.
FULL_BOOK_SIDES = {"bid": "bids", "bids": "bids", "ask": "asks", "asks": "asks"}
FULL_FIELD_CHOICES = ("all", *FULL_SECTIONS, *BASIC_FIELDS, *FULL_BOOK_SIDES)


@dataclass(frozen=True)
class FullSelection:
    sections: tuple[str, ...]
    basic_fields: tuple[str, ...] | None = None  # None: the whole section
    sides: tuple[str, ...] | None = None  # None: both sides


def full_selection(fields: Sequence[str] | None) -> FullSelection:
    """What `fields` of /full selects: sections, and within them basic fields and book sides."""
    items = list(fields or ["all"])
    if "all" in items:
        return FullSelection(FULL_SECTIONS)
    basic = [f for f in items if f in BASIC_FIELDS]
    sides = list(dict.fromkeys(FULL_BOOK_SIDES[f] for f in items if f in FULL_BOOK_SIDES))
    sections = [s for s in FULL_SECTIONS if s in items or (s == "basic" and basic) or (s == "orderbook" and sides)]
    return FullSelection(
        tuple(sections),
        None if "basic" in items or not basic else tuple(dict.fromkeys(["symbol", *basic])),
        None if "orderbook" in items or not sides else tuple(sides),
    )


def trim_full(
    payload: dict[str, Any], *, sections: Sequence[str], depth: int, selection: FullSelection | None = None
) -> dict[str, Any]:
    """A full snapshot cut to the asked sections, the book to `depth` levels (fewer if the source has fewer)."""
    trimmed: dict[str, Any] = {}
    for section in sections:
        if section == "orderbook":
            book = payload["orderbook"]
            sides = selection.sides if selection and selection.sides else ("bids", "asks")
            trimmed["orderbook"] = {side: book[side][:depth] for side in sides}
        elif section == "basic" and selection and selection.basic_fields:
            trimmed["basic"] = {f: payload["basic"][f] for f in selection.basic_fields}
        else:
            trimmed[section] = payload[section]
    return trimmed


def bar_payload(bar: Bar, *, prev_close: float | None, factor: float = 1.0, digits: int = 2) -> dict[str, Any]:
    """One history row. Prices times `factor` (1.0 = unadjusted), rounded to the tick (`digits`: 2 for
    0.01, 3 for an ETF's 0.001, see `symbols.price_digits`); volume as traded.

    `change`/`change_pct` compare with the previous bar's close (adjusted alike); null when there is none.
    Intraday rows add `time`, the bar's end in UTC (xtquant's convention).
    """
    close = round(bar.close * factor, digits)
    row: dict[str, Any] = {
        "date": bar.trading_day.isoformat(),
        "open": round(bar.open * factor, digits),
        "high": round(bar.high * factor, digits),
        "low": round(bar.low * factor, digits),
        "close": close,
        "volume": bar.volume,
        "turnover": bar.turnover,
        "change": round(close - prev_close, digits) if prev_close is not None else None,
        "change_pct": round((close - prev_close) / prev_close * 100, 2) if prev_close else None,
    }
    if bar.period not in ("1d", "1w", "1mon"):
        row["time"] = iso_utc(bar.time)
    return row


def instrument_payload(info: InstrumentInfo, *, price: float | None) -> dict[str, Any]:
    """The spec's instrument detail; market_cap = price x total shares, null when either is unknown."""
    market_cap = round(price * info.total_shares, 2) if price is not None and info.total_shares else None
    return {
        "symbol": info.symbol,
        "name": info.name,
        "full_name": info.full_name,
        "industry": info.industry,
        "sector": info.sector,
        "market": info.board,
        "list_date": info.list_date.isoformat() if info.list_date else None,
        "total_shares": info.total_shares,
        "float_shares": info.float_shares,
        "market_cap": market_cap,
        "pe_ratio": info.pe_ratio,
        "pb_ratio": info.pb_ratio,
        "dividend_yield": info.dividend_yield,
    }


def provenance_of(name: str, *, simulated: bool, as_of: datetime | date | str | None) -> dict[str, Any]:
    """`{"source", "simulated", "as_of"}`: the source's name, whether it is simulated, the data's own time."""
    if isinstance(as_of, datetime):
        as_of = iso_utc(as_of)
    elif isinstance(as_of, date):
        as_of = as_of.isoformat()
    origin: dict[str, Any] = {"source": name, "simulated": simulated, "as_of": as_of}
    day = _replayed_day(name) if simulated else None
    if day is not None:
        # One clock per answer: a replayed session's data is stamped with the replayed moment, and
        # the answer says so and which trading day it shows.
        origin["replayed"] = True
        origin["trading_day"] = day.isoformat()
    return origin


def _replayed_day(name: str) -> date | None:
    from core import clock
    from marketdata.sources import current_source_if_built

    source = current_source_if_built()
    return source.replayed_day(clock.now()) if source is not None and source.name == name else None


def provenance(source: DataSource, *, as_of: datetime | date | str | None) -> dict[str, Any]:
    """Where data came from: every market-data response carries this, so simulated data is never mistaken for real."""
    return provenance_of(source.name, simulated=source.serves_simulated(), as_of=as_of)
