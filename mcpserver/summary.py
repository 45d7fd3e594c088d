"""The summary a cut history result carries: computed over the whole range, not just the page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from marketdata.symbols import limit_prices  # one rule for every limit price Argus states


def _when(row: Mapping[str, Any]) -> Any:
    return row.get("date", row.get("time"))


def _prev_close(row: Mapping[str, Any]) -> float | None:
    change = row.get("change")
    return None if change is None else round(float(row["close"]) - float(change), 3)


def max_drawdown_pct(closes: Sequence[float]) -> float | None:
    """The largest fall from a running peak close to a later close, in percent (0.0 if it never fell)."""
    if not closes:
        return None
    peak = closes[0]
    worst = 0.0
    for close in closes:
        peak = max(peak, close)
        if peak > 0:
            worst = max(worst, (peak - close) / peak)
    return round(worst * 100, 2)


def _limit_days(rows: Sequence[Mapping[str, Any]], ratio: Decimal, tick: Decimal) -> tuple[list[Any], list[Any]]:
    ups: list[Any] = []
    downs: list[Any] = []
    for row in rows:
        prev = _prev_close(row)
        if not prev:
            continue
        up, down = limit_prices(prev, ratio, tick)
        close = float(row["close"])
        if close >= up:
            ups.append(_when(row))
        elif close <= down:
            downs.append(_when(row))
    return ups, downs


def history_summary(
    rows: Sequence[Mapping[str, Any]],
    *,
    period: str,
    adjust: str,
    limit_ratio: Decimal | None,
    tick: Decimal = Decimal("0.01"),
) -> dict[str, Any]:
    """First/last date, OHLC over the range, return, max drawdown, limit-up and limit-down days.

    The return runs from the close before the first bar (close - change) to the last close, or
    from the first open when that close is unknown. Limit days are counted on unadjusted daily
    bars of instruments that have a daily limit, on their tick (an ETF's 0.001); otherwise they
    are null (not knowable here).
    """
    if not rows:
        return {"bars": 0}
    first, last = rows[0], rows[-1]
    start = _prev_close(first) or float(first["open"])
    closes = [float(row["close"]) for row in rows]
    summary: dict[str, Any] = {
        "bars": len(rows),
        "first_date": _when(first),
        "last_date": _when(last),
        "open": first["open"],
        "high": max(float(row["high"]) for row in rows),
        "low": min(float(row["low"]) for row in rows),
        "close": last["close"],
        "return_pct": round((closes[-1] / start - 1) * 100, 2) if start else None,
        "max_drawdown_pct": max_drawdown_pct(closes),
        "limit_up_days": None,
        "limit_down_days": None,
    }
    if period == "1d" and adjust == "none" and limit_ratio is not None:
        ups, downs = _limit_days(rows, limit_ratio, tick)
        summary.update(limit_up_days=ups, limit_down_days=downs)
    return summary


def ticks_summary(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Over every recorded tick of the query (not just the page): count, seq and time range, first/last
    price, high/low of the prices seen, return from the first to the last tick, max drawdown of the prices."""
    if not rows:
        return {"ticks": 0}
    first, last = rows[0], rows[-1]
    prices = [float(row["price"]) for row in rows if row.get("price") is not None]
    return {
        "ticks": len(rows),
        "first_seq": first.get("seq"),
        "last_seq": last.get("seq"),
        "first_time": first.get("timestamp"),
        "last_time": last.get("timestamp"),
        "first_price": first.get("price"),
        "last_price": last.get("price"),
        "high": max(prices, default=None),
        "low": min(prices, default=None),
        "return_pct": round((prices[-1] / prices[0] - 1) * 100, 2) if prices and prices[0] else None,
        "max_drawdown_pct": max_drawdown_pct(prices),
        "volume": last.get("volume"),
        "status": last.get("status"),
    }
