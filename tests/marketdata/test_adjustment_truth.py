"""Adjustment says what it did: raw bars when no corporate action is known, a chosen anchor, a factors hash."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from mcp import Client as McpClient

from marketdata.models import CorporateAction
from mcpserver.server import build_server
from tests.mcp.conftest import structured

HISTORY = "/api/v1/market_data/history"
HEADER = "date,open,high,low,close,volume\n"
WINDOW = {"symbols": "600000.SH", "start_date": "2024-01-02", "end_date": "2024-01-08", "period": "1d"}


def _closes(body: dict[str, Any], symbol: str = "600000.SH") -> list[float]:
    return [row["close"] for row in body["data"][symbol]]


@pytest.fixture
def files_bars(calendar: None, use_source: Any, tmp_path: Path) -> None:
    """10.00; 1.00 cash on 01-03 (ratio 10/9); 10送10 on 01-05 (ratio 2); 000001.SZ has no actions."""
    CorporateAction.objects.create(symbol="600000.SH", ex_date=date(2024, 1, 3), cash_dividend=1, source="files")
    CorporateAction.objects.create(symbol="600000.SH", ex_date=date(2024, 1, 5), share_ratio=1, source="files")
    sh = tmp_path / "600000.SH_daily.csv"
    sh.write_text(HEADER + "2024-01-02,10,10,10,10,100\n2024-01-03,9,9,9,9,100\n2024-01-04,9,9,9,9,100\n"
                  "2024-01-05,4.5,4.5,4.5,4.5,100\n2024-01-08,4.5,4.5,4.5,4.5,100\n")  # fmt: skip
    sz = tmp_path / "000001.SZ_daily.csv"
    sz.write_text(HEADER + "2024-01-02,10,10,10,10,100\n2024-01-03,10.5,10.5,10.5,10.5,100\n")
    call_command("import_bars", str(sh), str(sz))
    use_source("files")


@pytest.mark.django_db
@pytest.mark.parametrize("adjust", ["pre", "post"])
def test_without_corporate_actions_the_bars_are_raw_and_say_so(files_bars: None, adjust: str) -> None:
    body = Client().get(HISTORY, {**WINDOW, "symbols": "000001.SZ", "adjust": adjust}).json()
    assert _closes(body, "000001.SZ") == [10.0, 10.5]
    adjustment = body["adjustment"]
    assert adjustment["type"] == adjust and adjustment["applied"] is False
    assert "no corporate actions are known for 000001.SZ in this source" in adjustment["description"]
    assert adjustment["factors_hash"] == {"000001.SZ": None} and adjustment["anchor"] is None


@pytest.mark.django_db
def test_pre_adjustment_as_seen_on_a_chosen_date(files_bars: None) -> None:
    client = Client()
    latest = client.get(HISTORY, {**WINDOW, "adjust": "pre"}).json()
    assert _closes(latest) == [4.5, 4.5, 4.5, 4.5, 4.5]
    assert latest["adjustment"]["applied"] is True and latest["adjustment"]["anchor"] is None
    assert latest["adjustment"]["anchor_dates"] == {"600000.SH": "2024-01-05"}
    seen = client.get(HISTORY, {**WINDOW, "adjust": "pre", "adjust_anchor": "2024-01-04"}).json()
    assert _closes(seen) == [9.0, 9.0, 9.0, 4.5, 4.5]  # the 01-05 split was not known on 01-04
    assert seen["adjustment"]["anchor"] == "2024-01-04"
    assert seen["adjustment"]["anchor_dates"] == {"600000.SH": "2024-01-03"}
    digest = seen["adjustment"]["factors_hash"]["600000.SH"]
    assert isinstance(digest, str) and len(digest) == 12 and digest != latest["adjustment"]["factors_hash"]["600000.SH"]
    again = client.get(HISTORY, {**WINDOW, "adjust": "pre", "adjust_anchor": "2024-01-04", "use_cache": "false"})
    assert again.json()["adjustment"] == seen["adjustment"] and _closes(again.json()) == _closes(seen)
    today = client.get(HISTORY, {**WINDOW, "adjust": "pre", "adjust_anchor": "2024-01-08"}).json()
    assert _closes(today) == _closes(latest)
    assert today["adjustment"]["factors_hash"] == latest["adjustment"]["factors_hash"]
    before = client.get(HISTORY, {**WINDOW, "adjust": "pre", "adjust_anchor": "2024-01-02"}).json()
    assert _closes(before) == [10.0, 9.0, 9.0, 4.5, 4.5] and before["adjustment"]["applied"] is False


@pytest.mark.django_db
def test_a_bad_anchor_says_what_to_fix(files_bars: None) -> None:
    client = Client()
    for params, words in (
        ({"adjust_anchor": "2024-01-04"}, "adjust_anchor needs adjust=pre or adjust=post"),
        ({"adjust": "pre", "adjust_anchor": "2024-13-01"}, "adjust_anchor"),
        ({"adjust": "pre", "adjust_anchor": "2999-01-01"}, "in the future"),
    ):
        answer = client.get(HISTORY, {**WINDOW, **params})
        assert answer.status_code == 400, answer.content
        error = answer.json()["error"]
        assert error["code"] == "INVALID_PARAMETER" and words in str(error["details"]), error


@pytest.mark.django_db(transaction=True)
def test_mcp_takes_the_anchor_too(files_bars: None) -> None:
    async def main() -> Any:
        async with McpClient(build_server()) as client:
            return await client.call_tool(
                "get_history_bars",
                {"symbols": ["600000.SH"], "start_date": "2024-01-02", "end_date": "2024-01-08", "adjust": "pre",
                 "adjust_anchor": "2024-01-04"},
            )  # fmt: skip

    body = structured(asyncio.run(main()))
    rest = Client().get(HISTORY, {**WINDOW, "adjust": "pre", "adjust_anchor": "2024-01-04"}).json()
    assert body["data"] == rest["data"] and body["adjustment"] == rest["adjustment"]


def test_the_schema_documents_the_anchor(client: Any) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    names = [p["name"] for p in schema["paths"]["/api/v1/market_data/history"]["get"]["parameters"]]
    assert "adjust_anchor" in names
    adjustment = schema["components"]["schemas"]["AdjustmentSchema"]["properties"]
    assert {"applied", "anchor", "factors_hash"} <= set(adjustment)
