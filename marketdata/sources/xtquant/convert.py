"""xtdata shapes into our dataclasses: lots to shares, epoch ms to aware UTC, prices to the 0.01 tick.

Pure functions over plain dicts and DataFrames; nothing here imports xtquant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from marketdata.sessions import AFTERNOON, MORNING, SHANGHAI, exchange_moment, shanghai
from marketdata.sources.base import Bar, CorporateAction, InstrumentInfo, Level, Tick, TickStatus
from marketdata.symbols import InvalidSymbol, parse_symbol, price_digits

# Every instrument parse_symbol admits (stocks, indices, ETFs) trades in lots of 100 shares.
SHARES_PER_LOT = 100
BOOK_DEPTH = 5


def price(value: Any, digits: int = 2) -> float:
    """A vendor float with binary noise (11.370000000000001) on its tick; NaN/None -> 0.0. `digits`:
    2 for stocks and index levels, 3 for an ETF's 0.001 tick (`symbols.price_digits`)."""
    number = _number(value)
    return round(number, digits) if number is not None else 0.0


def shares(lots: Any) -> int:
    """Lots (手) to shares."""
    number = _number(lots)
    return round(number) * SHARES_PER_LOT if number is not None else 0


def utc_from_ms(ms: Any) -> datetime:
    """Epoch milliseconds to an aware UTC datetime."""
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


def utc_from_timetag(text: str) -> datetime:
    """'20231026 10:32:56.950' (or '20231026103256'), Beijing wall time, to aware UTC."""
    digits = text.strip().replace(" ", "").replace(":", "")
    whole, _, fraction = digits.partition(".")
    local = datetime.strptime(whole, "%Y%m%d%H%M%S").replace(tzinfo=SHANGHAI)
    return (local + timedelta(milliseconds=int(fraction[:3].ljust(3, "0")) if fraction else 0)).astimezone(UTC)


def day_from_ms(ms: Any) -> date:
    """The Shanghai date of an epoch-ms stamp (daily rows are stamped at Beijing midnight)."""
    return shanghai(utc_from_ms(ms)).date()


def valid_symbol(code: str) -> str | None:
    """Our symbol for an xtquant code, or None for codes we do not serve (bonds, funds, repos...)."""
    try:
        return parse_symbol(code).symbol
    except InvalidSymbol:
        return None


def tick_time(raw: Mapping[str, Any]) -> datetime | None:
    """Prefer `time` (ms); accept the `timetag` string some versions send instead."""
    if _number(raw.get("time")):
        return utc_from_ms(raw["time"])
    tag = raw.get("timetag")
    return utc_from_timetag(tag) if isinstance(tag, str) and tag.strip() else None


def book(prices: Sequence[Any] | None, lots: Sequence[Any] | None, digits: int = 2) -> tuple[Level, ...]:
    """Up to 5 levels; a 0 price means the level is empty (e.g. no asks at limit-up)."""
    levels = []
    for p, v in zip(list(prices or [])[:BOOK_DEPTH], list(lots or [])[:BOOK_DEPTH], strict=False):
        if price(p, digits) > 0:
            levels.append(Level(price(p, digits), shares(v)))
    return tuple(levels)


def tick(symbol: str, raw: Mapping[str, Any], limits: tuple[float, float] | None) -> Tick | None:
    """One get_full_tick / subscribe_whole_quote dict as a Tick; None when it carries no time."""
    moment = tick_time(raw)
    digits = price_digits(symbol)
    prev_close = price(raw.get("lastClose"), digits)
    if moment is None or prev_close <= 0:
        return None
    # Before the first trade of the day lastPrice is 0: the last traded price is the previous close.
    last = price(raw.get("lastPrice"), digits) or prev_close
    up, down = limits if limits else (None, None)
    status = TickStatus.TRADING
    if up is not None and last >= up:
        status = TickStatus.LIMIT_UP
    elif down is not None and last <= down:
        status = TickStatus.LIMIT_DOWN
    return Tick(
        symbol=symbol, time=moment, trading_day=shanghai(moment).date(), price=last,
        open=price(raw.get("open"), digits), high=price(raw.get("high"), digits), low=price(raw.get("low"), digits),
        prev_close=prev_close, volume=shares(raw.get("volume")), turnover=round(_number(raw.get("amount")) or 0.0, 2),
        bids=book(raw.get("bidPrice"), raw.get("bidVol"), digits),
        asks=book(raw.get("askPrice"), raw.get("askVol"), digits),
        status=status, limit_up=up, limit_down=down,
    )  # fmt: skip


def limits_from_detail(
    detail: Mapping[str, Any] | None, prev_close: float, digits: int = 2
) -> tuple[float, float] | None:
    """UpStopPrice/DownStopPrice, only when the detail is of the tick's day (its PreClose matches)."""
    if not detail:
        return None
    up, down = price(detail.get("UpStopPrice"), digits), price(detail.get("DownStopPrice"), digits)
    if up <= 0 or down <= 0 or price(detail.get("PreClose"), digits) != prev_close:
        return None
    return up, down


def instrument(symbol: str, detail: Mapping[str, Any]) -> InstrumentInfo:
    """get_instrument_detail as InstrumentInfo; industry/sector are not in the detail, so empty."""
    parsed = parse_symbol(symbol)
    name = str(detail.get("InstrumentName") or symbol).strip()
    return InstrumentInfo(
        symbol=symbol, name=name, full_name=name, board=str(parsed.board), kind=str(parsed.kind), industry="",
        sector="", list_date=_yyyymmdd(detail.get("OpenDate")), total_shares=_count(detail.get("TotalVolume")),
        float_shares=_count(detail.get("FloatVolume")), is_st="ST" in name.upper(),
    )  # fmt: skip


def bars(symbol: str, period: str, frame: Any) -> list[Bar]:
    """One get_market_data_ex DataFrame as unadjusted bars, oldest first (suspended/empty rows dropped)."""
    rows: list[Bar] = []
    digits = price_digits(symbol)
    for index, row in zip(frame.index, frame.to_dict("records"), strict=True):
        if row.get("suspendFlag") == 1 or any(_number(row.get(k)) is None for k in ("open", "high", "low", "close")):
            continue
        moment = utc_from_ms(row["time"]) if _number(row.get("time")) else _from_index(str(index))
        day = shanghai(moment).date()
        end = exchange_moment(day, AFTERNOON[1]) if period == "1d" else moment
        amount = _number(row.get("amount"))
        turnover = round(amount, 2) if amount is not None else None
        rows.append(Bar(symbol, period, day, end, price(row["open"], digits), price(row["high"], digits),
                        price(row["low"], digits), price(row["close"], digits), shares(row.get("volume")),
                        turnover))  # fmt: skip
    rows.sort(key=lambda bar: bar.time)
    return rows if period == "1d" else _merge_auction(rows)


def _merge_auction(rows: list[Bar]) -> list[Bar]:
    """Fold a bar stamped at or before 09:30 (the opening call auction) into the day's next bar."""
    merged: list[Bar] = []
    pending: Bar | None = None
    for bar in rows:
        if shanghai(bar.time).time() <= MORNING[0]:
            pending = bar
            continue
        if pending is not None and pending.trading_day == bar.trading_day:
            both = bar.turnover is not None and pending.turnover is not None
            turnover = round((bar.turnover or 0.0) + (pending.turnover or 0.0), 2) if both else None
            bar = Bar(bar.symbol, bar.period, bar.trading_day, bar.time, pending.open, max(bar.high, pending.high),
                      min(bar.low, pending.low), bar.close, bar.volume + pending.volume, turnover)  # fmt: skip
        pending = None
        merged.append(bar)
    return merged


def actions(symbol: str, frame: Any) -> list[CorporateAction]:
    """get_divid_factors rows: interest = cash per share, stockBonus + stockGift = shares per share.

    Rights issues (allotNum/allotPrice) have no CorporateAction field and are left out.
    """
    found: list[CorporateAction] = []
    if frame is None or len(frame) == 0:
        return found
    for index, row in zip(frame.index, frame.to_dict("records"), strict=True):
        cash = _number(row.get("interest")) or 0.0
        ratio = (_number(row.get("stockBonus")) or 0.0) + (_number(row.get("stockGift")) or 0.0)
        if cash <= 0 and ratio <= 0:
            continue
        day = day_from_ms(row["time"]) if _number(row.get("time")) else shanghai(_from_index(str(index))).date()
        found.append(CorporateAction(symbol, day, round(cash, 6), round(ratio, 6)))
    return sorted(found, key=lambda action: action.ex_date)


def _from_index(text: str) -> datetime:
    """A '20240102' or '20240102093100' index label (Beijing time) as UTC."""
    digits = text.strip()
    pattern = "%Y%m%d%H%M%S" if len(digits) >= 14 else "%Y%m%d"
    return datetime.strptime(digits[:14], pattern).replace(tzinfo=SHANGHAI).astimezone(UTC)


def _yyyymmdd(value: Any) -> date | None:
    text = str(value or "").strip()
    try:
        day = datetime.strptime(text, "%Y%m%d").replace(tzinfo=SHANGHAI).date()
    except ValueError:
        return None
    return day if day.year < 9999 else None


def _count(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number > 0 else None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number
