"""The tools through the SDK's real client, connected to the server in-process."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from mcp import Client, MCPError

from core import clock
from marketdata.calendar import db_calendar
from marketdata.models import Instrument
from marketdata.payloads import QUOTE_FIELDS, iso_utc
from marketdata.sessions import next_open, phase_at, shanghai
from mcpserver.server import build_server
from tests.mcp.conftest import structured

pytestmark = pytest.mark.usefixtures("transactional_db", "reference_data")

TOOLS_WITHOUT_MARKET_DATA = {"search_instruments", "get_market_status"}


def call(name: str, arguments: dict[str, Any]) -> Any:
    async def main() -> Any:
        async with Client(build_server()) as client:
            return await client.call_tool(name, arguments)

    return asyncio.run(main())


def test_tools_are_listed_with_typed_schemas() -> None:
    async def main() -> Any:
        async with Client(build_server()) as client:
            return await client.list_tools()

    tools = {tool.name: tool for tool in asyncio.run(main()).tools}
    assert set(tools) >= TOOLS_WITHOUT_MARKET_DATA
    search = tools["search_instruments"].input_schema
    assert search["required"] == ["query"]
    assert search["properties"]["max_rows"]["type"] == "integer"
    assert search["properties"]["max_rows"]["maximum"] == 100
    for tool in tools.values():
        assert len(tool.description or "") > 60, f"{tool.name} needs a description an agent can choose by"


def test_search_finds_by_name_fragment() -> None:
    body = structured(call("search_instruments", {"query": "平安"}))
    found = {row["symbol"]: row["name"] for row in body["data"]["instruments"]}
    assert found["000001.SZ"] == "平安银行"
    assert body["paging"]["truncated"] is False
    assert body["source"]["simulated"] is True
    assert body["source"]["source"] == "simulated"
    assert body["source"]["as_of"].endswith("Z")


def _add_instruments(count: int) -> list[str]:
    taken = set(Instrument.objects.values_list("symbol", flat=True))
    symbols = [symbol for symbol in (f"{code}.SH" for code in range(605999, 605000, -1)) if symbol not in taken][:count]
    Instrument.objects.bulk_create(
        Instrument(symbol=symbol, name=f"翻页测试{index}", market="SH", board="上海主板", source="test")
        for index, symbol in enumerate(symbols)
    )
    return symbols


def test_search_cursor_paging_returns_every_row_exactly_once() -> None:
    symbols = _add_instruments(23)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        arguments: dict[str, Any] = {"query": "翻页测试", "max_rows": 7}
        if cursor:
            arguments["cursor"] = cursor
        body = structured(call("search_instruments", arguments))
        seen += [row["symbol"] for row in body["data"]["instruments"]]
        pages += 1
        assert body["paging"]["total_rows"] == 23
        cursor = body["paging"]["next_cursor"]
        if not body["paging"]["truncated"]:
            assert cursor is None
            break
        assert "cursor" in body["paging"]["note"]
    assert pages == 4
    assert seen == sorted(symbols)


BAD_CALLS = [
    ("search_instruments", {"query": "平安", "max_rows": 0}, "INVALID_PARAMETER", "max_rows"),
    ("search_instruments", {"query": ""}, "INVALID_PARAMETER", "query"),
    ("search_instruments", {}, "INVALID_PARAMETER", "query"),
    ("search_instruments", {"query": "平安", "cursor": "not-a-cursor"}, "INVALID_PARAMETER", "cursor"),
    ("no_such_tool", {}, "NOT_FOUND", "search_instruments"),
]


def call_many(calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    async def main() -> list[Any]:
        async with Client(build_server()) as client:
            return [await client.call_tool(name, arguments) for name, arguments in calls]

    return asyncio.run(main())


def test_bad_arguments_are_tool_errors_that_say_what_to_fix() -> None:
    results = call_many([(name, arguments) for name, arguments, _code, _hint in BAD_CALLS])
    for (name, arguments, code, hint), result in zip(BAD_CALLS, results, strict=True):
        assert result.is_error is True, (name, arguments)
        error = structured(result)["error"]
        assert error["code"] == code, (name, arguments, error)
        assert hint in error["details"], (name, arguments, error)


def test_a_cursor_cannot_be_used_for_another_query() -> None:
    _add_instruments(5)
    first = structured(call("search_instruments", {"query": "翻页测试", "max_rows": 2}))
    result = call("search_instruments", {"query": "平安", "cursor": first["paging"]["next_cursor"]})
    assert result.is_error is True
    assert "different query" in structured(result)["error"]["details"]


def test_quote_resource_template_is_listed() -> None:
    async def main() -> Any:
        async with Client(build_server()) as client:
            return await client.list_resource_templates()

    templates = asyncio.run(main()).resource_templates
    assert [template.uri_template for template in templates] == ["quote://{symbol}"]


def test_market_status_follows_the_calendar_and_sessions() -> None:
    before = clock.now()
    body = structured(call("get_market_status", {"market": "SZ"}))
    after = clock.now()
    status = body["data"]
    today = shanghai(after).date()
    assert status["market"] == "SZ"
    assert status["phase"] in {phase_at(before, "SZ", db_calendar).value, phase_at(after, "SZ", db_calendar).value}
    # Past the calendar's coverage (e.g. a faked 2027-01-05) nothing is claimed: the day is neither open nor closed.
    covered = db_calendar.market("SZ").covers(today)
    assert status["is_trading_day"] == (db_calendar.is_trading_day("SZ", today) if covered else None)
    assert status["trading_day"] == today.isoformat()
    upcoming = next_open(after, "SZ", db_calendar)
    assert status["next_open"] == (iso_utc(upcoming) if upcoming else None)
    following = db_calendar.next_trading_day("SZ", today)
    assert status["next_trading_day"] == (following.isoformat() if following else None)
    assert body["source"]["simulated"] is False
    assert body["source"]["source"].startswith("calendar")


def test_quote_resource_reads_the_latest_quote() -> None:
    async def main() -> Any:
        async with Client(build_server()) as client:
            return await client.read_resource("quote://000001.SZ")

    contents = asyncio.run(main()).contents
    assert len(contents) == 1
    assert contents[0].mime_type == "application/json"
    body = json.loads(contents[0].text)
    assert body["data"]["symbol"] == "000001.SZ"
    assert body["data"]["name"] == "平安银行"
    assert set(body["data"]) == set(QUOTE_FIELDS)
    assert body["source"]["simulated"] is True


def test_reading_a_bad_quote_uri_says_what_to_fix() -> None:
    async def main() -> MCPError:
        async with Client(build_server()) as client:
            with pytest.raises(MCPError) as caught:
                await client.read_resource("quote://000001.XX")
            return caught.value

    error = asyncio.run(main())
    assert "INVALID_PARAMETER" in str(error)
    assert "six digits" in str(error)
