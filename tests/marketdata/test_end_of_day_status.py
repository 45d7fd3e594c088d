"""End-of-day data says it is closed, with its own date: never `trading` (issue 14)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import call_command

from marketdata.sources import get_source
from marketdata.sources.base import TickStatus
from streaming import get_store
from streaming.services.feed import feed_poll

HEADER = "date,open,high,low,close,volume\n"


@pytest.mark.django_db
def test_files_data_is_closed_on_its_own_day(calendar: None, use_source: Any, tmp_path: Path) -> None:
    path = tmp_path / "600000.SH_daily.csv"
    path.write_text(HEADER + "2024-01-02,7.0,7.1,6.9,7.05,100\n2024-01-03,7.0,7.1,6.9,7.0,100\n")
    call_command("import_bars", str(path))
    use_source("files")
    tick = get_source().latest_ticks(["600000.SH"])["600000.SH"]
    assert tick.status == TickStatus.CLOSED and tick.trading_day == date(2024, 1, 3)

    # At any hour, in a session or not: end-of-day data has no live session to show.
    store = get_store()
    asyncio.run(store.touch(["600000.SH"]))
    result = feed_poll()
    assert result.ran and result.phase == "closed" and result.published == 0
    status = orjson.loads(asyncio.run(store.value("market")) or b"{}")
    assert status["market_phase"] == "closed" and status["end_of_day"] is True
    assert status["trading_day"] == "2024-01-03"  # the data's day, not today's session
