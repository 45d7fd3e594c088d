"""import_bars and the files source, through the management command and the real loader."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from marketdata.models import Bar, Instrument
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
    assert "000001.SZ_bad.csv:3: bad row" in message
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
