"""History tools: bars with a summary and cursor paging, and the trading calendar (REST selectors and serializers)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from mcp.types import CallToolResult
from pydantic import Field

from marketdata.models import Instrument
from marketdata.selectors import HISTORY_MAX_SYMBOLS, history_bars, trading_calendar
from marketdata.selectors.common import source_identity
from marketdata.serializers import HistoryQuery, TradingDatesQuery
from marketdata.symbols import price_digits
from mcpserver.paging import paginate
from mcpserver.results import run
from mcpserver.summary import history_summary
from mcpserver.tools.common import CURSOR, READ_ONLY, symbols_field
from mcpserver.validation import parse_arguments

HISTORY_DEFAULT_ROWS = 100
HISTORY_MAX_ROWS = 1000
CALENDAR_DEFAULT_ROWS = 250
Period = Literal["1m", "5m", "15m", "30m", "1h", "1d", "1w", "1mon"]
Adjust = Literal["none", "pre", "post"]


def _limit_ratios(symbols: list[str]) -> dict[str, Decimal | None]:
    served = Instrument.objects.served_to(simulated=source_identity()[1]).filter(symbol__in=symbols)
    return {instrument.symbol: instrument.limit_ratio for instrument in served}


def _history(arguments: dict[str, Any], max_rows: int, cursor: str | None) -> dict[str, Any]:
    query = parse_arguments(HistoryQuery, arguments)
    result = history_bars(
        symbols=query["symbols"],
        start=query["start_date"],
        end=query["end_date"],
        period=query["period"],
        adjust=query["adjust"],
        use_cache=query["use_cache"],
        adjust_anchor=query["adjust_anchor"],
    )
    flat = [(symbol, row) for symbol, rows in result.data.items() for row in rows]
    keys = ("symbols", "start_date", "end_date", "period", "adjust", "adjust_anchor")
    fingerprint = {key: str(query[key]) for key in keys}
    page = paginate(flat, tool="get_history_bars", query=fingerprint, cursor=cursor, max_rows=max_rows)
    data: dict[str, list[dict[str, Any]]] = {symbol: [] for symbol in result.data}
    for symbol, row in page.rows:
        data[symbol].append(row)
    ratios = _limit_ratios(list(result.data))
    return {
        "data": data,
        "total_records": result.total_records,
        "period": result.period,
        "adjustment": result.adjustment,
        "cache_hit": result.cache_hit,
        "cache_age_seconds": result.cache_age_seconds,
        "source": result.source,
        "paging": page.describe(),
        "summary": {
            symbol: history_summary(
                rows,
                period=result.period,
                adjust=query["adjust"],
                limit_ratio=ratios.get(symbol),
                tick=Decimal(1).scaleb(-price_digits(symbol)),
            )
            for symbol, rows in result.data.items()
        },
    }


async def get_history_bars(
    symbols: Annotated[list[str], symbols_field(HISTORY_MAX_SYMBOLS)],
    start_date: Annotated[str, Field(description="First day, YYYY-MM-DD.")],
    end_date: Annotated[str, Field(description="Last day, YYYY-MM-DD (inclusive).")],
    period: Annotated[Period, Field(description="Bar period: 1m 5m 15m 30m 1h 1d 1w 1mon.")] = "1d",
    adjust: Annotated[Adjust, Field(description="Price adjustment: none, pre (前复权) or post (后复权).")] = "none",
    adjust_anchor: Annotated[
        str | None,
        Field(
            description="With adjust pre/post: the factors as known on this day (YYYY-MM-DD), so a series can be "
            "reproduced later; default: the factors known today."
        ),
    ] = None,
    max_rows: Annotated[
        int, Field(ge=1, le=HISTORY_MAX_ROWS, description="At most this many bars per page (all symbols together).")
    ] = HISTORY_DEFAULT_ROWS,
    cursor: CURSOR = None,
    use_cache: Annotated[bool, Field(description="false reads the data source directly.")] = True,
) -> CallToolResult:
    arguments = {
        "symbols": symbols,
        "start_date": start_date,
        "end_date": end_date,
        "period": period,
        "adjust": adjust,
        "use_cache": use_cache,
        **({"adjust_anchor": adjust_anchor} if adjust_anchor is not None else {}),
    }
    return await run(lambda: _history(arguments, max_rows, cursor))


def _holidays_between(holidays: list[str], first: str | None, last: str | None) -> list[str]:
    return [day for day in holidays if (first is None or day >= first) and (last is None or day <= last)]


def _calendar(arguments: dict[str, Any], max_rows: int, cursor: str | None) -> dict[str, Any]:
    query = parse_arguments(TradingDatesQuery, arguments)
    result = trading_calendar(market=query["market"], start=query["start_date"], end=query["end_date"])
    fingerprint = {key: str(query[key]) for key in ("market", "start_date", "end_date")}
    page = paginate(result.trading_dates, tool="get_trading_dates", query=fingerprint, cursor=cursor, max_rows=max_rows)
    # Each page carries the holidays of its own span, so paging returns every holiday exactly once too.
    first = None
    if page.offset:
        first = (date.fromisoformat(result.trading_dates[page.offset - 1]) + timedelta(days=1)).isoformat()
    last = page.rows[-1] if page.truncated else None
    return {
        "data": {
            "trading_dates": page.rows,
            "total_days": result.total_days,
            "holidays": _holidays_between(result.holidays, first, last),
        },
        "source": result.source,
        "paging": page.describe(),
    }


async def get_trading_dates(
    start_date: Annotated[str, Field(description="First day, YYYY-MM-DD.")],
    end_date: Annotated[str, Field(description="Last day, YYYY-MM-DD (inclusive).")],
    market: Annotated[
        Literal["SH", "SZ", "BJ", "ALL"], Field(description="SH, SZ, BJ, or ALL (a day any market trades).")
    ] = "ALL",
    max_rows: Annotated[int, Field(ge=1, le=3000, description="At most this many trading dates per page.")] = (
        CALENDAR_DEFAULT_ROWS
    ),
    cursor: CURSOR = None,
) -> CallToolResult:
    arguments = {"start_date": start_date, "end_date": end_date, "market": market}
    return await run(lambda: _calendar(arguments, max_rows, cursor))


def register(server: Any) -> None:
    server.add_tool(
        get_history_bars,
        name="get_history_bars",
        title="History bars",
        description=(
            "OHLCV bars (open, high, low, close, volume, turnover, change, change_pct) between two dates, "
            "trading days only, period 1m to 1mon, unadjusted or 前/后复权 adjusted. Paged: at most max_rows "
            "bars per call; when truncated, call again with next_cursor. Every result has a summary per symbol "
            "over the whole range (first/last date, OHLC, return, max drawdown, limit-up and limit-down days), "
            "often enough without reading every bar. Same data as GET /api/v1/market_data/history."
        ),
        annotations=READ_ONLY,
    )
    server.add_tool(
        get_trading_dates,
        name="get_trading_dates",
        title="Trading dates",
        description=(
            "The exchange trading calendar between two dates: trading dates, their count (total_days) and "
            "the non-trading days (weekends and holidays). Use to count trading days or to find the "
            "previous or next session. Paged by trading dates (max_rows, next_cursor). Same data as "
            "GET /api/v1/market_data/trading_dates."
        ),
        annotations=READ_ONLY,
    )
