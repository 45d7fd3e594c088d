"""Recorded ticks read back: GET /recorded_ticks (JSON pages, CSV, errors) and the MCP tool, tick by tick."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient
from mcp import Client

from mcpserver.server import build_server
from streaming.recorder import recorder_close
from streaming.services.ticks import ticks_ingest

pytestmark = [pytest.mark.usefixtures("stream", "instruments")]
URL = "/api/v1/market_data/recorded_ticks"


@pytest.fixture
def recorded_day(settings: Any, tmp_path: Path, make_tick: Any) -> Iterator[list[tuple[str, int, float]]]:
    """Seven accepted ticks of two symbols on 2024-01-15 (one unchanged tick dropped), flushed."""
    recorder_close()
    settings.ARGUS_RECORDER_ENABLED = True
    settings.ARGUS_RECORDER_DIR = str(tmp_path / "archive")
    settings.ARGUS_RECORDER_RETENTION_DAYS = 100_000
    for step in range(4):
        ticks_ingest([make_tick("000001.SZ", step), make_tick("000002.SZ", step)])
    ticks_ingest([make_tick("000001.SZ", 3)])  # unchanged: not accepted, not recorded
    recorder_close()
    expected = [("000001.SZ", s + 1, round(10 + 0.01 * s, 2)) for s in range(4)]
    expected += [("000002.SZ", s + 1, round(10 + 0.01 * s, 2)) for s in range(4)]
    settings.ARGUS_RECORDER_ENABLED = False
    yield expected
    recorder_close()


def _get(**params: Any) -> Any:
    return HttpClient().get(URL, params)


def test_rest_pages_return_every_recorded_tick_once_in_order(recorded_day: list[tuple[str, int, float]]) -> None:
    seen: list[tuple[str, int, float]] = []
    cursor = None
    pages = 0
    while True:
        params = {"symbols": "000001.SZ,000002.SZ", "date": "2024-01-15", "limit": 3}
        body = _get(**params, **({"cursor": cursor} if cursor else {})).json()
        assert body["success"] is True, body
        assert body["total_records"] == 8 and body["source"]["recorded"] is True
        assert body["source"]["trading_day"] == "2024-01-15" and body["source"]["simulated"] is True
        for symbol, rows in body["data"].items():
            seen += [(symbol, row["seq"], row["price"]) for row in rows]
            for row in rows:
                assert {"name", "change", "volume", "timestamp", "trading_day", "status"} <= set(row)
        pages += 1
        cursor = body["paging"]["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and seen == recorded_day
    assert body["archive"]["recorded"] is True and body["archive"]["writers"][0]["closed"] is True


def test_rest_window_and_csv(recorded_day: list[tuple[str, int, float]]) -> None:
    body = _get(symbols="000001.SZ", date="2024-01-15", start_time="09:30:03", end_time="09:30:06").json()
    assert [row["seq"] for row in body["data"]["000001.SZ"]] == [2, 3]
    response = _get(symbols="000001.SZ", date="2024-01-15", format="csv")
    assert response["Content-Type"].startswith("text/csv") and response["X-Argus-Recorded"] == "true"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["seq"], r["price"]) for r in rows] == [("1", "10.0"), ("2", "10.01"), ("3", "10.02"), ("4", "10.03")]


def test_a_day_without_recording_says_so(recorded_day: Any) -> None:
    body = _get(symbols="000001.SZ", date="2024-01-16").json()
    assert body["data"] == {"000001.SZ": []} and body["archive"]["recorded"] is False
    assert "2024-01-15" in body["archive"]["note"]


@pytest.mark.parametrize(
    ("params", "code", "words"),
    [
        ({"symbols": "000001.SZ"}, "MISSING_PARAMETER", "date"),
        ({"symbols": "000001.SZ", "date": "2999-01-01"}, "INVALID_PARAMETER", "future"),
        ({"symbols": "000001.SZ", "date": "2024-01-15", "start_time": "9h30"}, "INVALID_PARAMETER", "HH:MM:SS"),
        (
            {"symbols": "000001.SZ", "date": "2024-01-15", "start_time": "10:00", "end_time": "09:00"},
            "INVALID_PARAMETER",
            "swap",
        ),
        ({"symbols": "000001.SZ", "date": "2024-01-15", "limit": "0"}, "INVALID_PARAMETER", "limit"),
        ({"symbols": "000001.SZ", "date": "2024-01-15", "cursor": "zz"}, "INVALID_PARAMETER", "cursor"),
    ],
)
def test_bad_input_gets_the_error_envelope(recorded_day: Any, params: dict[str, str], code: str, words: str) -> None:
    response = _get(**params)
    body = response.json()
    assert response.status_code == 400 and body["success"] is False, body
    assert body["error"]["code"] == code and words in str(body["error"]["details"]), body


def test_mcp_tool_pages_match_rest_with_a_summary(recorded_day: list[tuple[str, int, float]]) -> None:
    async def main() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        arguments: dict[str, Any] = {"symbols": ["000001.SZ", "000002.SZ"], "date": "2024-01-15", "max_rows": 5}
        async with Client(build_server()) as client:
            while True:
                result = await client.call_tool("get_recorded_ticks", arguments)
                assert not result.is_error, result
                found.append(result.structured_content)
                cursor = found[-1]["paging"]["next_cursor"]
                if cursor is None:
                    return found
                arguments = {**arguments, "cursor": cursor}

    pages = asyncio.run(main())
    seen = [(s, row["seq"], row["price"]) for page in pages for s, rows in page["data"].items() for row in rows]
    assert len(pages) == 2 and seen == recorded_day
    summary = pages[0]["summary"]["000001.SZ"]
    assert summary["ticks"] == 4 and (summary["first_seq"], summary["last_seq"]) == (1, 4)
    assert (summary["first_price"], summary["last_price"], summary["high"]) == (10.0, 10.03, 10.03)
    assert pages[0]["source"]["recorded"] is True and pages[0]["summary"] == pages[1]["summary"]
