"""/history intraday bars built from recorded ticks where the source has no minute bars (the files source)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient
from mcp import Client

from cachemgr.keys import history_key
from cachemgr.services import cache_peek
from marketdata.sources import reset_source
from mcpserver.server import build_server
from streaming.recorder import recorder_close
from streaming.services.ticks import ticks_ingest

pytestmark = [pytest.mark.usefixtures("stream", "instruments", "reference_data")]
URL = "/api/v1/market_data/history"
DAY = "2024-01-15"
# 000001.SZ: (step, price); a step is 3 s after 09:30:00, volume 1000 x (step + 1), turnover 10000 x (step + 1).
# Minute 09:30 (the 09:31 bar): steps 0-3; 09:31 (the 09:32 bar): steps 20-21; nothing in 09:32 (the
# feed did not poll then: no tick, no heartbeat); 09:33 (the 09:34 bar): step 60.
TICKS = [(0, 10.0), (1, 10.2), (2, 9.9), (3, 10.1), (20, 10.3), (21, 10.25), (60, 10.4)]


@pytest.fixture
def files_with_recording(settings: Any, tmp_path: Path, make_tick: Any) -> Iterator[None]:
    """A day recorded from the (simulated) test source, then the files source configured."""
    recorder_close()
    settings.ARGUS_RECORDER_ENABLED = True
    settings.ARGUS_RECORDER_DIR = str(tmp_path / "archive")
    settings.ARGUS_RECORDER_RETENTION_DAYS = 100_000
    for step, price in TICKS:
        batch = [make_tick("000001.SZ", step, price=price)]
        if step < 2:
            batch.append(make_tick("000002.SZ", step))
        ticks_ingest(batch)
    recorder_close()
    settings.ARGUS_RECORDER_ENABLED = False
    settings.ARGUS_DATA_SOURCE = {"BACKEND": "files", "OPTIONS": {}}
    reset_source()
    yield
    recorder_close()
    reset_source()


def _history(**params: Any) -> Any:
    return HttpClient().get(URL, {"start_date": DAY, "end_date": DAY, **params})


def test_one_minute_bars_are_computed_from_the_ticks(files_with_recording: None) -> None:
    body = _history(symbols="000001.SZ,000002.SZ", period="1m").json()
    assert body["success"] is True, body
    bars = body["data"]["000001.SZ"]
    shown = [(b["time"], b["open"], b["high"], b["low"], b["close"], b["volume"], b["turnover"]) for b in bars]
    assert shown == [
        ("2024-01-15T01:31:00.000Z", 10.0, 10.2, 9.9, 10.1, 4000, 40000.0),  # cumulative 4000 - 0
        ("2024-01-15T01:32:00.000Z", 10.3, 10.3, 10.25, 10.25, 18000, 180000.0),  # 22000 - 4000
        # 09:33 is absent (no tick); after the unobserved minute the volume is unknown, not folded in.
        ("2024-01-15T01:34:00.000Z", 10.4, 10.4, 10.4, 10.4, None, None),
    ]
    assert [b["change"] for b in bars] == [None, 0.15, 0.15] and {b["date"] for b in bars} == {DAY}
    assert [(b["volume"], b["close"]) for b in body["data"]["000002.SZ"]] == [(2000, 10.01)]
    source = body["source"]
    assert source["built_from"] == "recorded_ticks" and source["recorded"] is True
    assert source["configured_source"] == "files" and source["source"] != "files"  # the ticks' own source
    assert source["simulated"] is True and source["recorded_days"] == [DAY]
    assert source["as_of"] == "2024-01-15T01:34:00.000Z" and "files source has no 1m bars" in source["note"]
    assert body["total_records"] == 4 and body["period"] == "1m"


def test_longer_periods_aggregate_the_minutes_and_the_cache_key_says_recorded(files_with_recording: None) -> None:
    body = _history(symbols="000002.SZ", period="5m").json()
    assert [(b["time"], b["open"], b["close"], b["volume"]) for b in body["data"]["000002.SZ"]] == [
        (
            "2024-01-15T01:35:00.000Z",
            10.0,
            10.01,
            2000,
        )
    ]
    body = _history(symbols="000001.SZ", period="5m").json()
    (bar,) = body["data"]["000001.SZ"]
    assert (bar["open"], bar["high"], bar["low"], bar["close"]) == (10.0, 10.4, 9.9, 10.4)
    assert bar["volume"] is None and bar["turnover"] is None  # one of its minutes' volume is unknown
    assert body["cache_hit"] is False and _history(symbols="000001.SZ", period="5m").json()["cache_hit"] is True
    first = date.fromisoformat(DAY)
    assert cache_peek("HISTORY_DATA", history_key("000001.SZ", "5m+recorded_ticks", first, first, "none")) is not None
    assert cache_peek("HISTORY_DATA", history_key("000001.SZ", "5m", first, first, "none")) is None
    # The files source's own periods still come from its daily bars (nothing imported: no rows).
    daily = _history(symbols="000001.SZ", period="1d").json()
    assert daily["success"] is True and "built_from" not in daily["source"], daily


def test_a_day_the_recorder_does_not_hold_is_an_error_that_says_what_to_ask(files_with_recording: None) -> None:
    response = _history(symbols="000001.SZ", period="1m", start_date="2024-01-16", end_date="2024-01-16")
    body = response.json()
    assert response.status_code == 400 and body["error"]["code"] == "INVALID_PARAMETER", body
    details = str(body["error"]["details"])
    assert "tick recorder holds no day" in details and DAY in details and "1d" in details


def test_mcp_get_history_bars_shares_them(files_with_recording: None) -> None:
    async def main() -> Any:
        async with Client(build_server()) as client:
            arguments = {"symbols": ["000001.SZ"], "start_date": DAY, "end_date": DAY, "period": "1m"}
            return await client.call_tool("get_history_bars", arguments)

    result = asyncio.run(main())
    assert not result.is_error, result
    content = result.structured_content
    assert [b["volume"] for b in content["data"]["000001.SZ"]] == [4000, 18000, None]
    assert content["source"]["built_from"] == "recorded_ticks" and content["source"]["recorded"] is True
