"""import_bars and the files source, through the management command and the real loader."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from marketdata.models import Bar, CorporateAction, Instrument
from marketdata.sessions import shanghai
from marketdata.sources import load_source
from marketdata.sources.files import PeriodNotAvailable
from tests.support.paths import shared_data

SHARED = shared_data() / "000001.SZ_2023_2024_daily.csv"


@pytest.mark.django_db
def test_importing_the_shared_file(calendar: None) -> None:
    call_command("import_bars", str(SHARED))
    bars = Bar.objects.filter(symbol="000001.SZ", period="1d")
    assert bars.count() == 484
    last = bars.get(trading_day=date(2024, 12, 31))
    assert str(last.close) == "11.7000" and last.volume == 147536733
    assert shanghai(last.time).strftime("%H:%M") == "15:00"
    assert Instrument.objects.filter(symbol="000001.SZ").exists()

    source = load_source({"BACKEND": "files", "OPTIONS": {}})
    daily = source.bars("000001.SZ", period="1d", start=date(2024, 12, 1), end=date(2024, 12, 31))
    assert daily[-1].close == 11.7 and [b.trading_day for b in daily] == sorted(b.trading_day for b in daily)
    weeks = source.bars("000001.SZ", period="1w", start=date(2024, 12, 1), end=date(2024, 12, 31))
    assert weeks[-1].close == 11.7 and sum(b.volume for b in weeks) >= sum(b.volume for b in daily)
    tick = source.latest_ticks(["000001.SZ", "600000.SH"])
    assert list(tick) == ["000001.SZ"] and tick["000001.SZ"].price == 11.7
    assert tick["000001.SZ"].prev_close == daily[-2].close and tick["000001.SZ"].bids == ()
    assert "000001.SZ" in {info.symbol for info in source.instruments()}
    with pytest.raises(PeriodNotAvailable, match="daily bars only"):
        source.bars("000001.SZ", period="5m", start=date(2024, 12, 1), end=date(2024, 12, 31))
    call_command("import_bars", str(SHARED))  # re-import updates, never duplicates
    assert bars.count() == 484


@pytest.mark.django_db
def test_a_bad_file_reports_every_problem_and_writes_nothing(calendar: None, tmp_path: Path) -> None:
    good = tmp_path / "600000.SH_daily.csv"
    good.write_text("date,open,high,low,close,volume\n2024-01-02,7.0,7.1,6.9,7.05,100\n")
    bad = tmp_path / "000001.SZ_bad.csv"
    bad.write_text(
        "date,open,high,low,close,volume,colour\n"
        "2024-01-02,10,10.5,9.9,10.2,1000,red\n"
        "2024-01-03,ten,10.5,9.9,10.2,1000,red\n"
        "2024-01-02,10,10.5,9.9,10.2,1000,red\n"
        "2024-01-06,10,10.5,9.9,10.2,1000,red\n"
    )
    with pytest.raises(CommandError) as caught:
        call_command("import_bars", str(good), str(bad))
    message = str(caught.value)
    assert "000001.SZ_bad.csv:1: unknown column 'colour'" in message
    assert "000001.SZ_bad.csv:3: open 'ten' is not a number" in message
    assert "000001.SZ_bad.csv:4: duplicate date 2024-01-02 (first on line 2)" in message
    assert "000001.SZ_bad.csv:5: 2024-01-06 is not a SZ trading day" in message
    assert not Bar.objects.exists()


@pytest.mark.django_db
def test_symbol_option_and_bad_symbol(calendar: None, tmp_path: Path) -> None:
    anonymous = tmp_path / "prices.csv"
    anonymous.write_text("date,open,high,low,close,volume,amount\n20240102,7.0,7.1,6.9,7.05,100,705\n")
    with pytest.raises(CommandError, match="pass --symbol"):
        call_command("import_bars", str(anonymous))
    call_command("import_bars", str(anonymous), "--symbol", "600000.SH")
    assert Bar.objects.get(symbol="600000.SH").turnover == 705


# --- refusing what cannot be true (issue 14) ---------------------------------------------------

HEADER = "date,open,high,low,close,volume\n"


def _refused(path: Path, *extra: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("import_bars", str(path), *extra)
    assert not Bar.objects.exists(), "all-or-nothing: a refused import writes nothing"
    return str(caught.value)


@pytest.mark.django_db
def test_a_bar_dated_in_the_future_is_refused(calendar: None, tmp_path: Path, market_clock: Any) -> None:
    market_clock(datetime(2024, 7, 15, 3, 0, tzinfo=UTC))  # 11:00 in Shanghai, Monday 2024-07-15
    path = tmp_path / "600000.SH_daily.csv"
    path.write_text(HEADER + "2024-07-12,7.0,7.1,6.9,7.05,100\n2024-07-15,7.0,7.1,6.9,7.05,100\n"
                    "2024-07-16,7.0,7.1,6.9,7.05,100\n")  # fmt: skip
    message = _refused(path)
    assert "600000.SH_daily.csv:3: 2024-07-15 has not closed yet" in message
    assert "600000.SH_daily.csv:4: 2024-07-16 is in the future" in message
    assert ":2:" not in message
    market_clock(datetime(2024, 7, 15, 7, 30, tzinfo=UTC))  # 15:30: today's bar is complete
    path.write_text(HEADER + "2024-07-12,7.0,7.1,6.9,7.05,100\n2024-07-15,7.0,7.1,6.9,7.05,100\n")
    call_command("import_bars", str(path))
    assert Bar.objects.count() == 2


@pytest.mark.django_db
def test_fractional_volumes_and_prices_off_the_tick_grid_are_refused(calendar: None, tmp_path: Path) -> None:
    path = tmp_path / "600000.SH_daily.csv"
    path.write_text(HEADER + "2024-01-02,7.0,7.1,6.9,7.05,100.5\n2024-01-03,7.0,7.105,6.9,7.05,100\n"
                    "2024-01-04,7.0,7.1,6.9,7.05,1e3\n")  # fmt: skip
    message = _refused(path)
    assert "600000.SH_daily.csv:2: volume 100.5 is not a whole number of shares" in message
    assert "600000.SH_daily.csv:3: high 7.105 is off the 0.01 price grid of 600000.SH" in message
    assert ":4:" not in message  # 1e3 is 1000 shares
    etf = tmp_path / "510300.SH_daily.csv"  # ETFs trade on a 0.001 grid
    etf.write_text(HEADER + "2024-01-02,3.501,3.512,3.498,3.505,1000\n")
    call_command("import_bars", str(etf))
    assert Bar.objects.get(symbol="510300.SH").close == Decimal("3.505")


@pytest.mark.django_db
def test_unparseable_numbers_are_named_by_column_and_value(calendar: None, tmp_path: Path) -> None:
    path = tmp_path / "600000.SH_daily.csv"
    path.write_text(HEADER + "2024-01-02,ten,7.1,6.9,7.05,100\n2024-01-03,7.0,7.1,6.9,7.05,lots\n"
                    "2024-01-04,7.0,7.1,6.9,nan,100\n")  # fmt: skip
    message = _refused(path)
    assert "ConversionSyntax" not in message
    assert "600000.SH_daily.csv:2: open 'ten' is not a number" in message
    assert "600000.SH_daily.csv:3: volume 'lots' is not a number" in message
    assert "600000.SH_daily.csv:4: close 'nan' is not a number" in message


@pytest.mark.django_db
def test_bars_before_the_listing_date_are_refused(calendar: None, tmp_path: Path) -> None:
    Instrument.objects.update_or_create(
        symbol="600000.SH",
        defaults={"name": "浦发银行", "market": "SH", "board": "上海主板", "kind": "stock", "source": "files",
                  "simulated": False, "list_date": date(2024, 1, 3)},
    )  # fmt: skip
    path = tmp_path / "600000.SH_daily.csv"
    path.write_text(HEADER + "2024-01-02,7.0,7.1,6.9,7.05,100\n2024-01-03,7.0,7.1,6.9,7.05,100\n")
    message = _refused(path)
    assert "600000.SH_daily.csv:2: 2024-01-02 is before 600000.SH was listed (2024-01-03)" in message
    assert ":3:" not in message


@pytest.mark.django_db
def test_a_close_outside_the_boards_daily_limit_needs_a_reason(calendar: None, tmp_path: Path) -> None:
    path = tmp_path / "600000.SH_daily.csv"  # main board: ±10 %; 10.00 -> at most 11.00, at least 9.00
    path.write_text(HEADER + "2024-01-02,10.0,10.0,10.0,10.0,100\n2024-01-03,10.0,11.0,10.0,11.0,100\n"
                    "2024-01-04,11.0,52.0,11.0,52.0,100\n2024-01-05,10.0,10.0,9.0,9.0,100\n")  # fmt: skip
    message = _refused(path)
    assert ":2:" not in message and ":3:" not in message  # exactly at the limit is fine
    assert ("600000.SH_daily.csv:4: close 52.00 is outside the daily limit of 上海主板 (±10%: 9.90 to 12.10 "
            "after the previous close 11.00)") in message  # fmt: skip
    assert "--allow-limit-breach" in message
    with pytest.raises(CommandError, match="give the reason"):
        call_command("import_bars", str(path), "--allow-limit-breach", " ")
    call_command("import_bars", str(path), "--allow-limit-breach", "resumed trading after a restructuring")
    assert Bar.objects.filter(symbol="600000.SH").count() == 4


@pytest.mark.django_db
def test_the_limit_is_checked_against_the_bar_already_imported(calendar: None, tmp_path: Path) -> None:
    first = tmp_path / "300001.SZ_a.csv"  # ChiNext: ±20 %
    first.write_text(HEADER + "2024-01-02,10.0,10.0,10.0,10.0,100\n")
    call_command("import_bars", str(first))
    second = tmp_path / "300001.SZ_b.csv"
    second.write_text(HEADER + "2024-01-03,10.0,12.0,10.0,12.0,100\n2024-01-04,12.0,15.0,12.0,15.0,100\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_bars", str(second))
    assert "300001.SZ_b.csv:3: close 15.00 is outside the daily limit of 创业板 (±20%: 9.60 to 14.40" in str(
        caught.value
    )
    assert Bar.objects.count() == 1


@pytest.mark.django_db
def test_an_etf_has_the_limit_of_what_it_tracks(calendar: None, tmp_path: Path) -> None:
    chinext = tmp_path / "159915.SZ_daily.csv"  # 创业板ETF: ±20 %, on its 0.001 tick
    chinext.write_text(HEADER + "2024-01-02,2.000,2.000,2.000,2.000,100\n2024-01-03,2.000,2.300,2.000,2.300,100\n")
    call_command("import_bars", str(chinext))
    main = tmp_path / "510300.SH_daily.csv"  # 沪深300ETF: ±10 %
    main.write_text(HEADER + "2024-01-02,3.500,3.500,3.500,3.500,100\n2024-01-03,3.500,3.900,3.500,3.900,100\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_bars", str(main))
    message = str(caught.value)
    assert ("510300.SH_daily.csv:3: close 3.900 is outside the daily limit of 上海主板 ETF (±10%: 3.150 to "
            "3.850 after the previous close 3.500)") in message  # fmt: skip


@pytest.mark.django_db
def test_the_shared_files_pass_every_check(calendar: None) -> None:
    call_command("import_bars", str(SHARED), str(shared_data() / "600000.SH_2023_2024_daily.csv"))
    assert Bar.objects.count() == 968


@pytest.mark.django_db
def test_an_ex_rights_day_is_judged_from_its_reference_price(calendar: None, tmp_path: Path) -> None:
    path = tmp_path / "600000.SH_daily.csv"  # 10.00, then 1.00 cash on 2024-01-03: reference 9.00, floor 8.10
    path.write_text(HEADER + "2024-01-02,10.0,10.0,10.0,10.0,100\n2024-01-03,8.1,8.1,8.1,8.1,100\n")
    assert "close 8.10 is outside the daily limit" in _refused(path)
    CorporateAction.objects.create(symbol="600000.SH", ex_date=date(2024, 1, 3), cash_dividend=1, source="files")
    call_command("import_bars", str(path))
    assert Bar.objects.count() == 2


@pytest.mark.django_db
def test_parquet_numbers_are_checked_alike(calendar: None, tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "600000.SH_daily.parquet"
    pd.DataFrame(
        {"date": ["2024-01-02", "2024-01-03"], "open": [7.05, 7.0], "high": [7.1, 7.1], "low": [6.9, 6.9],
         "close": [7.05, 7.05], "volume": [100.0, 100.5]}
    ).to_parquet(path)  # fmt: skip
    message = _refused(path)
    assert "600000.SH_daily.parquet: row 2: volume 100.5 is not a whole number of shares" in message
    assert "row 1" not in message
