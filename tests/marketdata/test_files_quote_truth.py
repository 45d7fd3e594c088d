"""The files source's /latest states what the file says and nothing else (data truth, issue 14)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from marketdata.sources import get_source
from marketdata.symbols import limit_prices

LATEST = "/api/v1/market_data/latest"


def test_limit_prices_follow_the_exchanges_half_up_rule() -> None:
    assert limit_prices(11.95, Decimal("0.10")) == (13.15, 10.76)  # 13.145 and 10.755 round up
    assert limit_prices(12.22, Decimal("0.10")) == (13.44, 11.0)
    assert limit_prices(10.05, Decimal("0.05")) == (10.55, 9.55)


@pytest.mark.django_db
def test_files_quote_has_exchange_limits_and_no_invented_figures(
    calendar: None, use_source: Any, tmp_path: Path
) -> None:
    two_days = tmp_path / "000001.SZ.csv"
    two_days.write_text(
        "date,open,high,low,close,volume\n2024-01-02,11.9,12.0,11.8,11.95,1000\n2024-01-03,12.0,12.3,11.9,12.2,2000\n"
    )
    one_day = tmp_path / "600000.SH.csv"
    one_day.write_text("date,open,high,low,close,volume\n2024-01-03,7.0,7.4,6.9,7.3,500\n")
    call_command("import_bars", str(two_days), str(one_day))
    use_source("files")

    tick = get_source().latest_ticks(["000001.SZ"])["000001.SZ"]
    assert (tick.prev_close, tick.limit_up, tick.limit_down) == (11.95, 13.15, 10.76)

    body = Client().get(LATEST, {"symbols": "000001.SZ,600000.SH"}).json()
    two, one = body["data"]["000001.SZ"], body["data"]["600000.SH"]
    assert two["turnover"] is None  # the file has no amount column: unknown, not 0.0
    assert (two["prev_close"], two["change"], two["change_pct"]) == (11.95, 0.25, 2.09)
    # One bar: no previous close is known, so no change either (its open is not yesterday's close).
    assert (one["prev_close"], one["change"], one["change_pct"], one["turnover"]) == (None, None, None, None)
    assert (one["price"], one["open"], one["volume"]) == (7.3, 7.0, 500)
