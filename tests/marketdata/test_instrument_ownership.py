"""Instruments belong to a source: nothing the simulated market invented is served as files data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from cachemgr.services import state
from marketdata.models import Instrument
from marketdata.services.instruments import instruments_sync
from marketdata.sources import get_source

DETAIL = "/api/v1/market_data/instrument_detail"
LATEST = "/api/v1/market_data/latest"
HEADER = "date,open,high,low,close,volume\n"


def _simulated_stock() -> Instrument:
    row = Instrument.objects.stocks().filter(source="simulated", total_shares__isnull=False, is_st=False)
    found = row.exclude(board__in=["创业板", "科创板", "北交所"]).order_by("symbol").last()
    assert found is not None and found.simulated
    return found


@pytest.mark.django_db
def test_files_do_not_serve_the_simulated_markets_instrument_rows(
    calendar: None, use_source: Any, tmp_path: Path
) -> None:
    client = Client()
    invented = _simulated_stock()
    symbol = invented.symbol
    simulated = client.get(DETAIL, {"symbols": symbol}).json()["data"][symbol]
    assert simulated["name"] == invented.name and simulated["market_cap"] is not None

    path = tmp_path / f"{symbol}_daily.csv"
    path.write_text(HEADER + "2024-01-02,10.0,10.2,9.9,10.0,1000\n2024-01-03,10.0,10.5,9.9,10.5,1200\n")
    call_command("import_bars", str(path))
    use_source("files")
    state.process_reset()
    instruments_sync()  # load_reference_data under files: it must not bring the invented rows back
    body = client.get(DETAIL, {"symbols": symbol}).json()
    detail = body["data"][symbol]
    assert body["source"]["source"] == "files" and body["source"]["simulated"] is False
    assert detail["name"] == symbol != invented.name  # the file names nothing: the symbol, not an invention
    assert (detail["total_shares"], detail["float_shares"], detail["market_cap"]) == (None, None, None)
    assert detail["industry"] in ("", None) and detail["list_date"] is None
    quote = client.get(LATEST, {"symbols": symbol}).json()["data"][symbol]
    assert quote["name"] == symbol and quote["price"] == 10.5
    row = Instrument.objects.get(symbol=symbol)
    assert (row.source, row.simulated) == ("files", False)


@pytest.mark.django_db
def test_a_symbol_only_the_simulated_market_knows_is_unknown_to_files(calendar: None, use_source: Any) -> None:
    symbol = _simulated_stock().symbol
    use_source("files")
    state.process_reset()
    answer = Client().get(LATEST, {"symbols": symbol})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "NOT_FOUND"
    assert "only the simulated market's instrument rows list" in answer.json()["error"]["details"]


@pytest.mark.django_db
def test_the_simulated_market_never_overwrites_a_real_row(calendar: None, use_source: Any, tmp_path: Path) -> None:
    symbol = _simulated_stock().symbol
    path = tmp_path / f"{symbol}_daily.csv"
    path.write_text(HEADER + "2024-01-02,10.0,10.2,9.9,10.0,1000\n")
    call_command("import_bars", str(path))
    Instrument.objects.filter(symbol=symbol).update(name="真名")  # what an operator or a real source wrote
    instruments_sync(source=get_source())  # the configured simulated market
    row = Instrument.objects.get(symbol=symbol)
    assert (row.name, row.source, row.simulated) == ("真名", "files", False)
