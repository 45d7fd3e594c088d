"""Quote tools: latest quotes, order book and trades, instrument detail (the REST selectors and serializers)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.types import CallToolResult
from pydantic import Field

from marketdata.payloads import FULL_SECTIONS, QUOTE_FIELDS
from marketdata.selectors import (
    FULL_MAX_SYMBOLS,
    INSTRUMENT_MAX_SYMBOLS,
    LATEST_MAX_SYMBOLS,
    full_snapshots,
    instrument_details,
    latest_quotes,
)
from marketdata.serializers import FullQuery, InstrumentQuery, LatestQuery
from mcpserver.results import run
from mcpserver.tools.common import READ_ONLY, symbols_field
from mcpserver.validation import parse_arguments

Section = Literal["basic", "orderbook", "trades"]


def _latest(arguments: dict[str, Any]) -> dict[str, Any]:
    query = parse_arguments(LatestQuery, arguments)
    result = latest_quotes(symbols=query["symbols"], fields=query.get("fields"), use_cache=query["use_cache"])
    return {
        "data": result.data,
        "cache_hit": result.cache_hit,
        "cache_age_seconds": result.cache_age_seconds,
        "source": result.source,
    }


async def get_latest_quotes(
    symbols: Annotated[list[str], symbols_field(LATEST_MAX_SYMBOLS)],
    fields: Annotated[
        list[str] | None,
        Field(description=f"Only these quote fields (any of {', '.join(QUOTE_FIELDS)}); all by default."),
    ] = None,
    use_cache: Annotated[bool, Field(description="false reads the data source directly (slower, freshest).")] = True,
) -> CallToolResult:
    return await run(lambda: _latest({"symbols": symbols, "fields": fields, "use_cache": use_cache}))


def _full(arguments: dict[str, Any]) -> dict[str, Any]:
    query = parse_arguments(FullQuery, arguments)
    sections = query.get("fields") or ["all"]
    if "all" in sections:
        sections = list(FULL_SECTIONS)
    result = full_snapshots(
        symbols=query["symbols"], sections=sections, depth=query["depth"], use_cache=query["use_cache"]
    )
    return {
        "data": result.data,
        "cache_hit": result.cache_hit,
        "cache_age_seconds": result.cache_age_seconds,
        "source": result.source,
    }


async def get_order_book(
    symbols: Annotated[list[str], symbols_field(FULL_MAX_SYMBOLS)],
    depth: Annotated[Literal[5, 10, 20], Field(description="Order-book levels per side: 5, 10 or 20.")] = 5,
    sections: Annotated[
        list[Section] | None,
        Field(
            description="Any of basic (the quote), orderbook (bids/asks), trades (most recent first); all by default."
        ),
    ] = None,
    use_cache: Annotated[bool, Field(description="false reads the data source directly.")] = True,
) -> CallToolResult:
    arguments = {"symbols": symbols, "depth": depth, "fields": sections, "use_cache": use_cache}
    return await run(lambda: _full(arguments))


def _instruments(symbols: list[str], use_cache: bool) -> dict[str, Any]:
    query = parse_arguments(InstrumentQuery, {"symbols": symbols, "use_cache": use_cache})
    result = instrument_details(symbols=query["symbols"], use_cache=query["use_cache"])
    return {
        "data": result.data,
        "cache_hit": result.cache_hit,
        "cache_age_seconds": result.cache_age_seconds,
        "source": result.source,
    }


async def get_instrument_detail(
    symbols: Annotated[list[str], symbols_field(INSTRUMENT_MAX_SYMBOLS)],
    use_cache: Annotated[bool, Field(description="false reads the data source directly.")] = True,
) -> CallToolResult:
    return await run(lambda: _instruments(symbols, use_cache))


def register(server: Any) -> None:
    server.add_tool(
        get_latest_quotes,
        name="get_latest_quotes",
        title="Latest quotes",
        description=(
            "Latest quote of one or more A-share symbols (e.g. 000001.SZ): price, change, change_pct, volume "
            "(shares), turnover (CNY), high, low, open, prev_close, timestamp (UTC). Use for 'what is X trading "
            f"at now'. Up to {LATEST_MAX_SYMBOLS} symbols per call. Same data as GET /api/v1/market_data/latest."
        ),
        annotations=READ_ONLY,
    )
    server.add_tool(
        get_order_book,
        name="get_order_book",
        title="Order book and recent trades",
        description=(
            "Level-2 style snapshot per symbol: the quote, the order book (bids and asks, 5, 10 or 20 levels "
            "per side, volume in shares) and the most recent trades (price, volume, buy/sell direction). Use "
            f"for liquidity, spread or who is buying. Up to {FULL_MAX_SYMBOLS} symbols. Same data as "
            "GET /api/v1/market_data/full."
        ),
        annotations=READ_ONLY,
    )
    server.add_tool(
        get_instrument_detail,
        name="get_instrument_detail",
        title="Instrument detail",
        description=(
            "Company facts per symbol: full name, industry, sector, board (market), listing date, total and "
            "float shares, market cap (latest price × total shares), and P/E, P/B, dividend yield when the "
            "source has them (null otherwise). Same data as GET /api/v1/market_data/instrument_detail."
        ),
        annotations=READ_ONLY,
    )
