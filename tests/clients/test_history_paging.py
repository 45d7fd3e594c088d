"""history() pages by symbol batches and date windows under the server's caps; frames; typed errors."""

from __future__ import annotations

import asyncio
import itertools
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from argus_mcp import ArgusClient, exceptions, paging
from argus_mcp.client import ArgusMCPClient

from core.errors import ERROR_CODES
from marketdata.models import Instrument
from marketdata.selectors import history as server_history
from tests.support.servers import argus_server


def test_the_sdks_caps_are_the_servers() -> None:
    assert paging.ROW_CAP == server_history.ROW_CAP
    assert paging.BARS_PER_DAY == server_history.BARS_PER_DAY
    assert paging.HISTORY_MAX_SYMBOLS == server_history.HISTORY_MAX_SYMBOLS


def test_every_error_code_has_its_own_exception_class() -> None:
    assert set(exceptions.ERROR_CLASSES) == set(ERROR_CODES)
    assert len(set(exceptions.ERROR_CLASSES.values())) == len(ERROR_CODES)
    assert issubclass(exceptions.MissingParameterError, exceptions.InvalidParameterError)
    assert issubclass(exceptions.XtQuantError, exceptions.DataServiceError)
    assert not issubclass(exceptions.CacheError, exceptions.DataServiceError)  # the guide's retry recipe


def test_weekly_and_monthly_pages_never_split_a_week_or_a_month() -> None:
    # 90 years of weekdays: over the cap of 20 symbols for weeks (4,700 > 1,000) and months (1,080 > 1,000).
    every_day = (date(1990, 1, 1) + timedelta(days=n) for n in range(365 * 90))
    days = [day for day in every_day if day.weekday() < 5]
    symbols = [f"{600000 + n:06d}.SH" for n in range(20)]
    for period, key in (("1w", lambda d: d.isocalendar()[:2]), ("1mon", lambda d: (d.year, d.month))):
        pages = paging.plan(symbols, days, period)
        assert len(pages) > 1
        for before, after in itertools.pairwise(pages):
            assert key(before.end) != key(after.start)
            assert before.end < after.start
        assert pages[0].start == days[0] and pages[-1].end == days[-1]
        per_page = [sum(1 for d in {key(day) for day in days if page.start <= day <= page.end}) for page in pages]
        assert max(per_page) * len(symbols) <= paging.ROW_CAP[period]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_history_pages_minute_bars_and_symbol_batches_and_merges_them(tmp_path: Path) -> None:
    minute_symbols = ["000001.SZ", "600000.SH"]
    many = list(
        Instrument.objects.filter(kind="stock", list_date__lt=date(2023, 1, 1))
        .order_by("symbol")
        .values_list("symbol", flat=True)[:25]
    )

    async def main(base: str) -> tuple[object, object, object]:
        async with ArgusMCPClient(base) as client:
            minutes = await client.get_history_market_data(minute_symbols, "2024-01-01", "2024-02-29", "1m")
            frame = await client.get_history_market_data(
                ["000001.SZ"], "2024-01-01", "2024-03-31", "1m", as_frame=True, progress=True
            )
            days = await client.get_trading_dates("2024-01-01", "2024-02-29")
            return minutes, frame, days

    with argus_server(tmp_path, {}) as base:
        refused = httpx.get(
            f"{base}/api/v1/market_data/history",
            params={
                "symbols": ",".join(minute_symbols),
                "start_date": "2024-01-01",
                "end_date": "2024-02-29",
                "period": "1m",
            },
            timeout=30,
        )
        minutes, frame, days = asyncio.run(main(base))
        with ArgusClient(base) as client:
            batched = client.get_history_market_data(many, "2024-01-02", "2024-01-05")
            with pytest.raises(exceptions.InvalidParameterError):
                client.get_history_market_data(["000001.SZ"], "2024-02-30", "2024-03-05")
    assert refused.status_code == 400  # one request is over the cap: the SDK had to page
    trading_days = days["trading_dates"]  # type: ignore[index]
    for symbol in minute_symbols:
        bars = minutes[symbol]  # type: ignore[index]
        assert len(bars) == 240 * len(trading_days)
        stamps = [bar["time"] for bar in bars]
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
        assert sorted({bar["date"] for bar in bars}) == trading_days
    assert minutes.total_records == 2 * 240 * len(trading_days)  # type: ignore[attr-defined]
    assert minutes.envelope["pages"] > 1 and minutes.simulated is True  # type: ignore[attr-defined]
    assert str(frame["time"].dt.tz) == "Asia/Shanghai"  # type: ignore[index]
    assert frame["time"].iloc[0].hour == 9 and frame["time"].iloc[0].minute == 31  # type: ignore[index]
    assert frame.attrs["simulated"] is True  # type: ignore[attr-defined]
    assert len(many) == 25  # two symbol batches
    assert list(batched) == many and batched.envelope["pages"] == 2
    # 4 trading days each, except a simulated single-day suspension now and then.
    assert all(3 <= len(batched[symbol]) <= 4 for symbol in many)
    assert batched.total_records == sum(len(bars) for bars in batched.values())
