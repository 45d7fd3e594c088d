"""Node-to-node reads: the source's own dataclasses, whole, for gateways whose source is `upstream`.

The spec's endpoints trim what clients need (no limit prices, 20 trades, no instrument list, no
corporate actions); a gateway needs every field of marketdata/sources/base.py to serve, cache and
adjust as the node does. These read the node's configured source directly (the gateway caches) and
encode with marketdata/sources/codec.py, which the gateway's upstream source decodes with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from marketdata.payloads import provenance, trade_payload
from marketdata.selectors.common import current_source, from_source, instrument_names
from marketdata.sources.codec import action_encode, instrument_encode, tick_encode

INSTRUMENTS_PAGE_MAX = 1000
TICKS_MAX_SYMBOLS = 100
TRADES_MAX = 1000
ACTIONS_MAX_SYMBOLS = 50


@dataclass(frozen=True, slots=True)
class NodeResult:
    data: Any
    source: dict[str, Any]


def node_instruments(*, after: str | None, limit: int, symbols: Sequence[str] | None = None) -> NodeResult:
    """One page of the source's instruments ordered by symbol after the cursor `after`, or just `symbols`."""
    source = current_source()
    if symbols:
        found = [from_source(source, f"instrument {symbol}", partial(source.instrument, symbol)) for symbol in symbols]
        listed = [instrument_encode(info) for info in found if info is not None]
        return NodeResult({"instruments": listed, "total": len(listed), "next": None}, provenance(source, as_of=None))
    infos = sorted(from_source(source, "the instrument list", source.instruments), key=lambda info: info.symbol)
    remaining = [info for info in infos if after is None or info.symbol > after]
    page = remaining[:limit]
    following = page[-1].symbol if len(remaining) > limit else None
    data = {"instruments": [instrument_encode(info) for info in page], "total": len(infos), "next": following}
    return NodeResult(data, provenance(source, as_of=None))


def node_ticks(*, symbols: Sequence[str]) -> NodeResult:
    """The source's newest whole tick per symbol; like the source, symbols it has no quote for are left out."""
    source = current_source()
    ticks = from_source(source, f"latest ticks of {', '.join(symbols)}", lambda: source.latest_ticks(symbols))
    data = {symbol: tick_encode(tick) for symbol, tick in ticks.items()}
    as_of = min((tick.time for tick in ticks.values()), default=None)
    return NodeResult(data, provenance(source, as_of=as_of))


def node_trades(*, symbol: str, limit: int) -> NodeResult:
    """The source's most recent trades of `symbol`, newest first."""
    instrument_names([symbol])
    source = current_source()
    trades = from_source(source, f"recent trades of {symbol}", lambda: source.recent_trades(symbol, limit=limit))
    as_of = trades[0].time if trades else None
    return NodeResult([trade_payload(trade) for trade in trades], provenance(source, as_of=as_of))


def node_corporate_actions(*, symbols: Sequence[str]) -> NodeResult:
    """Every dividend/split the source knows per symbol, oldest first."""
    instrument_names(symbols)
    source = current_source()
    data: dict[str, list[dict[str, Any]]] = {}
    for symbol in symbols:
        actions = from_source(source, f"corporate actions of {symbol}", partial(source.corporate_actions, symbol))
        data[symbol] = [action_encode(action) for action in sorted(actions, key=lambda action: action.ex_date)]
    return NodeResult(data, provenance(source, as_of=None))
