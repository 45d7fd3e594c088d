"""What users see of ETFs and indices (issue 14): REST and MCP keep an ETF's 0.001 tick (quotes,
books, history, limit days) and show an index with no book and no trades."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from marketdata.payloads import bar_payload
from marketdata.sources.base import Bar
from mcpserver.summary import history_summary
from tests.mcp.conftest import structured

HISTORY = "/api/v1/market_data/history"
LATEST = "/api/v1/market_data/latest"
FULL = "/api/v1/market_data/full"


def on_grid(value: float, digits: int) -> bool:
    return abs(value * 10**digits - round(value * 10**digits)) < 1e-6


@pytest.mark.django_db
def test_rest_serves_an_etf_on_its_0_001_tick(client: Any, reference_data: None) -> None:
    body = client.get(HISTORY, {"symbols": "510300.SH", "start_date": "2024-01-01", "end_date": "2024-06-30"}).json()
    rows = body["data"]["510300.SH"]
    assert rows and body["success"] is True
    prices = [row[field] for row in rows for field in ("open", "high", "low", "close")]
    assert all(on_grid(p, 3) for p in prices) and sum(not on_grid(p, 2) for p in prices) > len(prices) // 2
    for before, row in itertools.pairwise(rows):
        assert row["change"] == round(row["close"] - before["close"], 3)  # a 0.001 change is not rounded away
    quote = client.get(LATEST, {"symbols": "510300.SH"}).json()["data"]["510300.SH"]
    assert on_grid(quote["price"], 3) and quote["change"] == round(quote["price"] - quote["prev_close"], 3)
    full = client.get(FULL, {"symbols": "159915.SZ"}).json()["data"]["159915.SZ"]
    levels = full["orderbook"]["bids"] + full["orderbook"]["asks"]
    assert levels and all(on_grid(level["price"], 3) for level in levels)


@pytest.mark.django_db
def test_rest_shows_an_index_without_book_or_trades_at_its_level(client: Any, reference_data: None) -> None:
    full = client.get(FULL, {"symbols": "000001.SH"}).json()["data"]["000001.SH"]
    assert full["orderbook"] == {"bids": [], "asks": []} and full["trades"] == []
    assert 2000 < full["basic"]["price"] < 5000  # 上证指数 at a level in the range of the real one
    body = client.get(HISTORY, {"symbols": "000001.SH", "start_date": "2024-01-01", "end_date": "2024-12-31"}).json()
    closes = [row["close"] for row in body["data"]["000001.SH"]]
    assert closes and min(closes) > 2300 and max(closes) < 4400


def test_limit_days_of_an_etf_are_counted_on_its_tick() -> None:
    # After a 3.946 close the limit up is 4.3406 -> 4.341 on the fund's tick (4.34 on a cent grid).
    day = datetime(2024, 1, 2, 7, tzinfo=UTC)
    bars = [Bar("510300.SH", "1d", day.date(), day, 3.9, 3.95, 3.9, 3.946, 100, None)]
    bars.append(Bar("510300.SH", "1d", day.date().replace(day=3), day, 4.3, 4.34, 4.3, 4.34, 100, None))
    rows, prev = [], None
    for bar in bars:
        rows.append(bar_payload(bar, prev_close=prev, digits=3))
        prev = bar.close
    assert rows[1]["change"] == 0.394
    by_tick = history_summary(rows, period="1d", adjust="none", limit_ratio=Decimal("0.10"), tick=Decimal("0.001"))
    by_cent = history_summary(rows, period="1d", adjust="none", limit_ratio=Decimal("0.10"))
    assert by_tick["limit_up_days"] == []  # 4.340 < 4.341: not at the limit
    assert by_cent["limit_up_days"] == ["2024-01-03"]  # what the cent rule wrongly claimed


@pytest.mark.django_db(transaction=True)
def test_mcp_history_of_an_etf_keeps_three_decimals(reference_data: None) -> None:
    from mcp import Client

    from mcpserver.server import build_server

    async def main() -> Any:
        async with Client(build_server()) as client:
            return await client.call_tool(
                "get_history_bars",
                {"symbols": ["510300.SH", "000001.SH"], "start_date": "2024-01-01", "end_date": "2024-03-31"},
            )

    body = structured(asyncio.run(main()))
    rows = body["data"]["510300.SH"]
    assert rows and all(on_grid(row["close"], 3) for row in rows)
    assert any(not on_grid(row["close"], 2) for row in rows)
    assert body["summary"]["510300.SH"]["limit_up_days"] == []  # computed (an ETF has limits), none hit
    assert body["summary"]["000001.SH"]["limit_up_days"] is None  # an index has no limit


@pytest.mark.django_db
def test_files_source_states_an_etfs_limits_on_its_tick(calendar: None, use_source: Any, tmp_path: Path) -> None:
    path = tmp_path / "159915.SZ_daily.csv"
    path.write_text("date,open,high,low,close,volume\n2024-01-02,1.900,1.950,1.890,1.947,100\n"
                    "2024-01-03,1.950,1.990,1.940,1.985,100\n")  # fmt: skip
    call_command("import_bars", str(path))
    from marketdata.models import Instrument

    Instrument.objects.update_or_create(  # the operator's reference row for the fund
        symbol="159915.SZ",
        defaults={"name": "创业板ETF", "full_name": "创业板ETF", "board": "深圳主板", "kind": "etf", "market": "SZ",
                  "source": "files", "simulated": False},
    )  # fmt: skip
    use_source("files")
    from marketdata.sources import get_source

    tick = get_source().latest_ticks(["159915.SZ"])["159915.SZ"]
    # ±20 % (a ChiNext ETF), half-up on 0.001: 1.947 x 1.2 = 2.3364 -> 2.336, x 0.8 = 1.5576 -> 1.558.
    assert (tick.prev_close, tick.limit_up, tick.limit_down) == (1.947, 2.336, 1.558)
