"""Reference-data tools: find instruments by code or name."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from argus_mcp.paging import paginate
from argus_mcp.results import run
from marketdata.models import Instrument
from marketdata.payloads import provenance
from marketdata.sources import get_source

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)

_SEARCH_FIELDS = ("symbol", "name", "full_name", "market", "board", "kind", "industry", "is_st", "status")


def _search(query: str, max_rows: int, cursor: str | None) -> dict[str, Any]:
    text = query.strip()
    rows = list(Instrument.objects.matching(text).order_by("symbol").values(*_SEARCH_FIELDS, "updated_at"))
    page = paginate(rows, tool="search_instruments", query={"query": text}, cursor=cursor, max_rows=max_rows)
    as_of = max((row["updated_at"] for row in page.rows), default=None)
    return {
        "data": {"instruments": [{key: row[key] for key in _SEARCH_FIELDS} for row in page.rows]},
        "paging": page.describe(),
        "provenance": provenance(get_source(), as_of=as_of),
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
    cursor: Annotated[
        str | None, Field(description="The next_cursor of a previous call with the same query, for the next page.")
    ] = None,
) -> CallToolResult:
    return await run(lambda: _search(query, max_rows, cursor))


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
