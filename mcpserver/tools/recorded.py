"""Recorded ticks: what the tick recorder archived of a trading day, with a summary and cursor paging."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.types import CallToolResult
from pydantic import Field

from marketdata.selectors.recorded import RECORDED_MAX_SYMBOLS, recorded_ticks
from marketdata.serializers import RecordedTicksQuery
from mcpserver.results import run
from mcpserver.summary import ticks_summary
from mcpserver.tools.common import CURSOR, READ_ONLY, symbols_field
from mcpserver.validation import parse_arguments

RECORDED_DEFAULT_ROWS = 100
RECORDED_MAX_ROWS = 1000


def _recorded(arguments: dict[str, Any], max_rows: int, cursor: str | None) -> dict[str, Any]:
    query = parse_arguments(RecordedTicksQuery, arguments)
    result = recorded_ticks(
        symbols=query["symbols"],
        day=query["date"],
        start_time=query["start_time"],
        end_time=query["end_time"],
        cursor=cursor,
        limit=max_rows,
        tool="get_recorded_ticks",
    )
    per_symbol: dict[str, list[dict[str, Any]]] = {symbol: [] for symbol in result.data}
    for symbol, quote in result.rows:
        per_symbol[symbol].append(quote)
    return {
        "data": result.data,
        "total_records": result.total_records,
        "source": result.source,
        "archive": result.archive,
        "paging": result.page.describe(),
        "summary": {symbol: ticks_summary(rows) for symbol, rows in per_symbol.items()},
    }


async def get_recorded_ticks(
    symbols: Annotated[list[str], symbols_field(RECORDED_MAX_SYMBOLS)],
    date: Annotated[str, Field(description="The trading day recorded, YYYY-MM-DD.")],
    start_time: Annotated[
        str | None, Field(description="First moment, HH:MM:SS exchange time (Asia/Shanghai), inclusive.")
    ] = None,
    end_time: Annotated[str | None, Field(description="Last moment, HH:MM:SS exchange time, inclusive.")] = None,
    max_rows: Annotated[
        int, Field(ge=1, le=RECORDED_MAX_ROWS, description="At most this many ticks per page (all symbols together).")
    ] = RECORDED_DEFAULT_ROWS,
    cursor: CURSOR = None,
) -> CallToolResult:
    arguments = {"symbols": symbols, "date": date, "start_time": start_time, "end_time": end_time}
    return await run(lambda: _recorded(arguments, max_rows, cursor))


def register(server: Any) -> None:
    server.add_tool(
        get_recorded_ticks,
        name="get_recorded_ticks",
        title="Recorded ticks",
        description=(
            "The ticks Argus recorded on one trading day (every changed level-1 snapshot the feed accepted), "
            "in the quote shape plus the stream seq, optionally between start_time and end_time. Paged: at "
            "most max_rows ticks per call; when truncated, call again with next_cursor. Every result has a "
            "summary per symbol over the whole window (tick count, seq and time range, first/last price, "
            "high, low, return, max drawdown), and `archive` says where the recording ends. Same data as "
            "GET /api/v1/market_data/recorded_ticks."
        ),
        annotations=READ_ONLY,
    )
