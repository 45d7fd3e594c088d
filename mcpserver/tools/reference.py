"""Reference tools that need no market data: search instruments, market status."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from mcp.types import CallToolResult
from pydantic import Field

from core import clock
from marketdata.calendar import db_calendar
from marketdata.models import CalendarCoverage, Instrument
from marketdata.payloads import iso_utc, provenance, provenance_of
from marketdata.sessions import next_open, phase_at, shanghai
from marketdata.sources import get_source
from mcpserver.paging import paginate
from mcpserver.results import run
from mcpserver.tools.common import CURSOR, READ_ONLY

_SEARCH_FIELDS = ("symbol", "name", "full_name", "market", "board", "kind", "industry", "is_st", "status")


def _search(query: str, max_rows: int, cursor: str | None) -> dict[str, Any]:
    text = query.strip()
    served = Instrument.objects.served_to(simulated=get_source().serves_simulated())
    rows = list(served.matching(text).order_by("symbol").values(*_SEARCH_FIELDS, "updated_at"))
    page = paginate(rows, tool="search_instruments", query={"query": text}, cursor=cursor, max_rows=max_rows)
    as_of = max((row["updated_at"] for row in page.rows), default=None)
    return {
        "data": {"instruments": [{key: row[key] for key in _SEARCH_FIELDS} for row in page.rows]},
        "source": provenance(get_source(), as_of=as_of),
        "paging": page.describe(),
    }


async def search_instruments(
    query: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description="A code prefix such as 000001 or 600, a full symbol such as 000001.SZ, "
            "or a fragment of the Chinese name such as 平安 or 银行.",
        ),
    ],
    max_rows: Annotated[int, Field(ge=1, le=100, description="At most this many instruments per page.")] = 20,
    cursor: CURSOR = None,
) -> CallToolResult:
    return await run(lambda: _search(query, max_rows, cursor))


def _status(market: str) -> dict[str, Any]:
    now = clock.now()
    today = shanghai(now).date()
    calendar = db_calendar.market(market)
    covered = calendar.covers(today)
    upcoming = next_open(now, market, db_calendar)
    coverage = CalendarCoverage.objects.filter(market=market).first()
    origin = f"calendar ({coverage.source})" if coverage else "calendar"
    return {
        "data": {
            "market": market,
            "phase": phase_at(now, market, db_calendar).value,
            "exchange_time": shanghai(now).isoformat(timespec="seconds"),
            "trading_day": today.isoformat(),
            "is_trading_day": db_calendar.is_trading_day(market, today) if covered else None,
            "next_open": iso_utc(upcoming) if upcoming else None,
            "previous_trading_day": _iso(db_calendar.previous_trading_day(market, today)),
            "next_trading_day": _iso(db_calendar.next_trading_day(market, today)),
        },
        "source": provenance_of(origin, simulated=False, as_of=now),
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


async def get_market_status(
    market: Annotated[Literal["SH", "SZ", "BJ"], Field(description="SH (Shanghai), SZ (Shenzhen) or BJ (Beijing).")] = (
        "SH"
    ),
) -> CallToolResult:
    return await run(lambda: _status(market))


def register(server: Any) -> None:
    server.add_tool(
        search_instruments,
        name="search_instruments",
        title="Search instruments",
        description=(
            "Find A-share stocks, indices and ETFs by code or by a fragment of their name, e.g. 平安 → "
            "000001.SZ 平安银行. Use this first when you know a company's name but not its symbol; the "
            "other tools need symbols like 000001.SZ. Results are ordered by symbol and paged "
            "(max_rows, next_cursor)."
        ),
        annotations=READ_ONLY,
    )
    server.add_tool(
        get_market_status,
        name="get_market_status",
        title="Market status",
        description=(
            "Where a market is in its day right now (exchange time, Asia/Shanghai): phase (pre_open, "
            "call_auction, pre_continuous, continuous, lunch_break, closing_auction, closed, "
            "non_trading_day), whether today is a trading day, the next open (start of continuous trading, "
            "UTC) and the previous and next trading days, from the trading calendar."
        ),
        annotations=READ_ONLY,
    )
