"""The market-data tools answer exactly what the REST API answers for the same query."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.test import Client as HttpClient
from mcp import Client

from mcpserver.server import build_server
from tests.mcp.conftest import structured

pytestmark = pytest.mark.usefixtures("transactional_db", "reference_data")

SYMBOLS = ["000001.SZ", "600000.SH"]


def rest(path: str, **params: Any) -> dict[str, Any]:
    response = HttpClient().get(f"/api/v1/market_data/{path}", params)
    body = response.json()
    assert body["success"] is True, body
    return body


def calls(*requests: tuple[str, dict[str, Any]]) -> list[Any]:
    async def main() -> list[Any]:
        async with Client(build_server()) as client:
            return [await client.call_tool(name, arguments) for name, arguments in requests]

    return asyncio.run(main())


def pages(name: str, arguments: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page of a paged tool, following next_cursor."""

    async def main() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        async with Client(build_server()) as client:
            cursor = None
            while True:
                result = await client.call_tool(name, {**arguments, **({"cursor": cursor} if cursor else {})})
                body = structured(result)
                found.append(body)
                cursor = body["paging"]["next_cursor"]
                if cursor is None:
                    return found

    return asyncio.run(main())


def test_every_tool_is_listed_with_a_typed_schema() -> None:
    async def main() -> Any:
        async with Client(build_server()) as client:
            return await client.list_tools()

    tools = {tool.name: tool.input_schema for tool in asyncio.run(main()).tools}
    assert set(tools) == {
        "get_latest_quotes",
        "get_order_book",
        "get_history_bars",
        "get_instrument_detail",
        "get_trading_dates",
        "search_instruments",
        "get_market_status",
        "get_recorded_ticks",
    }
    assert tools["get_recorded_ticks"]["required"] == ["symbols", "date"]
    assert tools["get_latest_quotes"]["properties"]["symbols"]["type"] == "array"
    assert tools["get_latest_quotes"]["properties"]["symbols"]["maxItems"] == 100
    assert tools["get_order_book"]["properties"]["depth"]["enum"] == [5, 10, 20]
    assert set(tools["get_history_bars"]["properties"]["period"]["enum"]) >= {"1m", "1d", "1mon"}
    assert tools["get_history_bars"]["properties"]["adjust"]["enum"] == ["none", "pre", "post"]
    assert tools["get_history_bars"]["required"] == ["symbols", "start_date", "end_date"]


def test_quotes_order_book_and_instruments_match_rest() -> None:
    # REST first: it fills the cache, so both answers are the same snapshot.
    latest = rest("latest", symbols=",".join(SYMBOLS))
    full = rest("full", symbols="000001.SZ", depth=10)
    detail = rest("instrument_detail", symbols=",".join(SYMBOLS))
    quotes, book, instruments = (
        structured(result)
        for result in calls(
            ("get_latest_quotes", {"symbols": SYMBOLS}),
            ("get_order_book", {"symbols": ["000001.SZ"], "depth": 10}),
            ("get_instrument_detail", {"symbols": SYMBOLS}),
        )
    )
    assert quotes["data"] == latest["data"]
    assert quotes["source"] == latest["source"]
    assert quotes["source"]["simulated"] is True
    assert book["data"] == full["data"]
    assert instruments["data"] == detail["data"]
    assert instruments["data"]["000001.SZ"]["name"] == "平安银行"


def test_quote_fields_are_cut_like_rest() -> None:
    latest = rest("latest", symbols="000001.SZ", fields="price,volume")
    quotes = structured(calls(("get_latest_quotes", {"symbols": ["000001.SZ"], "fields": ["price", "volume"]}))[0])
    assert quotes["data"] == latest["data"]
    assert set(quotes["data"]["000001.SZ"]) == {"price", "volume"}


def test_history_pages_return_every_rest_row_exactly_once_with_a_summary() -> None:
    query = {"symbols": SYMBOLS, "start_date": "2024-01-01", "end_date": "2024-06-30"}
    expected = rest("history", symbols=",".join(SYMBOLS), start_date="2024-01-01", end_date="2024-06-30")
    found = pages("get_history_bars", {**query, "max_rows": 45})
    assert len(found) > 2
    assert found[0]["paging"]["truncated"] is True
    assert "cursor" in found[0]["paging"]["note"]
    joined: dict[str, list[dict[str, Any]]] = {symbol: [] for symbol in SYMBOLS}
    for page in found:
        assert sum(len(rows) for rows in page["data"].values()) <= 45
        for symbol, rows in page["data"].items():
            joined[symbol] += rows
    assert joined == expected["data"]
    assert found[0]["total_records"] == expected["total_records"]
    assert found[0]["source"] == expected["source"]
    summary = found[0]["summary"]["000001.SZ"]
    rows = expected["data"]["000001.SZ"]
    assert summary["bars"] == len(rows)
    assert (summary["first_date"], summary["last_date"]) == (rows[0]["date"], rows[-1]["date"])
    assert summary["high"] == max(row["high"] for row in rows)
    assert summary["low"] == min(row["low"] for row in rows)
    assert summary["close"] == rows[-1]["close"]
    assert isinstance(summary["limit_up_days"], list)


def test_trading_date_pages_return_every_date_and_holiday_once() -> None:
    expected = rest("trading_dates", start_date="2024-01-01", end_date="2024-12-31", market="SH")
    found = pages(
        "get_trading_dates", {"start_date": "2024-01-01", "end_date": "2024-12-31", "market": "SH", "max_rows": 50}
    )
    assert len(found) == 5  # 242 sessions in 2024
    assert [day for page in found for day in page["data"]["trading_dates"]] == expected["data"]["trading_dates"]
    assert [day for page in found for day in page["data"]["holidays"]] == expected["data"]["holidays"]
    assert all(page["data"]["total_days"] == expected["data"]["total_days"] == 242 for page in found)


BAD = [
    ("get_latest_quotes", {"symbols": ["000001"]}, "INVALID_PARAMETER", "six digits"),
    ("get_latest_quotes", {"symbols": []}, "INVALID_PARAMETER", "symbols"),
    ("get_latest_quotes", {"symbols": ["000001.SZ"], "fields": ["colour"]}, "INVALID_PARAMETER", "valid fields"),
    ("get_order_book", {"symbols": ["000001.SZ"], "depth": 7}, "INVALID_PARAMETER", "depth"),
    (
        "get_history_bars",
        {"symbols": ["000001.SZ"], "start_date": "2024-02-01", "end_date": "2024-01-01"},
        "INVALID_PARAMETER",
        "swap",
    ),
    (
        "get_history_bars",
        {"symbols": ["000001.SZ"], "start_date": "2024-13-01", "end_date": "2024-12-31"},
        "INVALID_PARAMETER",
        "YYYY-MM-DD",
    ),
    (
        "get_history_bars",
        {"symbols": ["000001.SZ"], "start_date": "2024-01-01", "end_date": "2024-01-31", "period": "2d"},
        "INVALID_PARAMETER",
        "period",
    ),
    (
        "get_history_bars",
        {"symbols": ["000001.SZ"], "start_date": "2024-01-01", "end_date": "2024-01-31", "cursor": "bm9wZQ"},
        "INVALID_PARAMETER",
        "cursor",
    ),
    ("get_instrument_detail", {"symbols": ["999999.SZ"]}, "INVALID_PARAMETER", "999999"),
    (
        "get_trading_dates",
        {"start_date": "2024-01-01", "end_date": "2024-01-31", "market": "HK"},
        "INVALID_PARAMETER",
        "market",
    ),
    # Past the calendar's coverage: the covered span and how to extend it, never invented days.
    (
        "get_trading_dates",
        {"start_date": "2026-12-20", "end_date": "2027-01-10"},
        "INVALID_PARAMETER",
        "import_holidays",
    ),
]


def test_all_before_bj_opened_means_sh_and_sz() -> None:
    found = pages("get_trading_dates", {"start_date": "2015-01-01", "end_date": "2015-01-10"})
    assert [day for page in found for day in page["data"]["trading_dates"]] == [
        "2015-01-05",
        "2015-01-06",
        "2015-01-07",
        "2015-01-08",
        "2015-01-09",
    ]


def test_bad_arguments_are_tool_errors_with_the_rest_codes() -> None:
    results = calls(*[(name, arguments) for name, arguments, _code, _hint in BAD])
    for (name, arguments, code, hint), result in zip(BAD, results, strict=True):
        assert result.is_error is True, (name, arguments)
        error = structured(result)["error"]
        assert (error["code"], hint in error["details"]) == (code, True), (name, arguments, error)
