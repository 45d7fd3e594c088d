"""The one JSON codec of the source dataclasses between Argus nodes.

A node encodes its source's dataclasses whole (marketdata/selectors/nodes.py serves them); a
gateway's `upstream` source decodes them back (marketdata/sources/upstream.py). Each pair below is
the single definition of a shape on both sides, so a field added to a dataclass is added here once.
Dates are YYYY-MM-DD, times ISO 8601 UTC with a Z, unknowns null.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from marketdata.payloads import iso_utc
from marketdata.sources.base import CorporateAction, InstrumentInfo, Level, Tick, TickStatus, Trade


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def instrument_encode(info: InstrumentInfo) -> dict[str, Any]:
    """Every field of InstrumentInfo."""
    return {
        "symbol": info.symbol,
        "name": info.name,
        "full_name": info.full_name,
        "board": info.board,
        "kind": info.kind,
        "industry": info.industry,
        "sector": info.sector,
        "list_date": info.list_date.isoformat() if info.list_date else None,
        "total_shares": info.total_shares,
        "float_shares": info.float_shares,
        "is_st": info.is_st,
        "status": info.status,
        "pe_ratio": info.pe_ratio,
        "pb_ratio": info.pb_ratio,
        "dividend_yield": info.dividend_yield,
    }


def instrument_decode(d: dict[str, Any]) -> InstrumentInfo:
    return InstrumentInfo(
        symbol=d["symbol"],
        name=d["name"],
        full_name=d["full_name"],
        board=d["board"],
        kind=d["kind"],
        industry=d["industry"],
        sector=d["sector"],
        list_date=_day(d["list_date"]),
        total_shares=d["total_shares"],
        float_shares=d["float_shares"],
        is_st=d["is_st"],
        status=d["status"],
        pe_ratio=d["pe_ratio"],
        pb_ratio=d["pb_ratio"],
        dividend_yield=d["dividend_yield"],
    )


def tick_encode(tick: Tick) -> dict[str, Any]:
    """Every field of Tick, the book at the source's full depth."""
    return {
        "symbol": tick.symbol,
        "time": iso_utc(tick.time),
        "trading_day": tick.trading_day.isoformat(),
        "price": tick.price,
        "open": tick.open,
        "high": tick.high,
        "low": tick.low,
        "prev_close": tick.prev_close,
        "volume": tick.volume,
        "turnover": tick.turnover,
        "bids": [{"price": level.price, "volume": level.volume} for level in tick.bids],
        "asks": [{"price": level.price, "volume": level.volume} for level in tick.asks],
        "status": str(tick.status),
        "limit_up": tick.limit_up,
        "limit_down": tick.limit_down,
        "simulated_time": iso_utc(tick.simulated_time) if tick.simulated_time else None,
    }


def tick_decode(t: dict[str, Any]) -> Tick:
    return Tick(
        symbol=t["symbol"],
        time=parse_time(t["time"]),
        trading_day=date.fromisoformat(t["trading_day"]),
        price=t["price"],
        open=t["open"],
        high=t["high"],
        low=t["low"],
        prev_close=t["prev_close"],
        volume=t["volume"],
        turnover=t["turnover"],
        bids=tuple(Level(level["price"], level["volume"]) for level in t["bids"]),
        asks=tuple(Level(level["price"], level["volume"]) for level in t["asks"]),
        status=TickStatus(t["status"]),
        limit_up=t["limit_up"],
        limit_down=t["limit_down"],
        simulated_time=parse_time(t["simulated_time"]) if t["simulated_time"] else None,
    )


def action_encode(action: CorporateAction) -> dict[str, Any]:
    """One dividend/split: ex_date, cash_dividend (CNY per share), share_ratio (bonus shares per share)."""
    return {
        "ex_date": action.ex_date.isoformat(),
        "cash_dividend": action.cash_dividend,
        "share_ratio": action.share_ratio,
    }


def action_decode(symbol: str, a: dict[str, Any]) -> CorporateAction:
    return CorporateAction(symbol, date.fromisoformat(a["ex_date"]), a["cash_dividend"], a["share_ratio"])


def trade_decode(symbol: str, t: dict[str, Any]) -> Trade:
    """A trade as `marketdata.payloads.trade_payload` encodes it (the spec's trade shape)."""
    return Trade(symbol, parse_time(t["timestamp"]), t["price"], t["volume"], t["direction"])
