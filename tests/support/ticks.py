"""Ticks for the stream tests: level-1 quotes whose every step is a changed tick."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from marketdata.sources.base import Level, Tick, TickStatus

DAY = date(2024, 1, 15)
START = datetime(2024, 1, 15, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai


def make_tick(
    symbol: str = "000001.SZ",
    step: int = 0,
    *,
    day: date = DAY,
    status: TickStatus = TickStatus.TRADING,
    price: float | None = None,
) -> Tick:
    """A level-1 tick of `symbol` at 09:30 + 3 s × `step` on `day`; `step` moves price and volume."""
    last = round(10.0 + 0.01 * step, 2) if price is None else price
    book = tuple(Level(round(last - 0.01 * (i + 1), 2), 100 * (i + 1)) for i in range(5))
    asks = tuple(Level(round(last + 0.01 * (i + 1), 2), 100 * (i + 1)) for i in range(5))
    return Tick(
        symbol=symbol,
        time=START + timedelta(seconds=3 * step) + timedelta(days=(day - DAY).days),
        trading_day=day,
        price=last,
        open=10.0,
        high=max(10.0, last),
        low=min(10.0, last),
        prev_close=9.9,
        volume=1000 * (step + 1),
        turnover=10000.0 * (step + 1),
        bids=book,
        asks=asks,
        status=status,
    )


def quote_tick(symbol: str, price: float = 12.34) -> Tick:
    """One cached-quote tick of `symbol` at 09:30 on 2024-01-15 (a one-level book at `price`)."""
    book = (Level(price, 100),)
    return Tick(
        symbol=symbol,
        time=START,
        trading_day=DAY,
        price=price,
        open=12.25,
        high=12.45,
        low=12.20,
        prev_close=12.22,
        volume=1234567,
        turnover=15234567.89,
        bids=book,
        asks=book,
    )


def cache_quote(symbol: str) -> None:
    """Put `quote_tick(symbol)` in the latest-quote cache, as the feed would (the fast path answers it)."""
    from cachemgr.keys import latest_quote_key
    from cachemgr.services import cache_store
    from marketdata.payloads import quote_payload

    cache_store("LATEST_DATA", latest_quote_key(symbol), quote_payload(quote_tick(symbol), name="平安银行"))
