"""Every cached input of an answer is scoped by the source's identity and bypassed by use_cache=false."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from cachemgr.keys import data_scope
from cachemgr.services import state
from marketdata.models import CorporateAction

HISTORY = "/api/v1/market_data/history"
LATEST = "/api/v1/market_data/latest"
HEADER = "date,open,high,low,close,volume\n"
WINDOW = {"symbols": "600000.SH", "start_date": "2024-01-02", "end_date": "2024-01-04", "period": "1d"}


def _write(tmp_path: Path, last_close: str) -> Path:
    path = tmp_path / "600000.SH_daily.csv"
    path.write_text(HEADER + "2024-01-02,10.0,10.0,10.0,10.0,100\n2024-01-03,9.0,9.1,8.9,9.0,100\n"
                    f"2024-01-04,9.0,9.5,8.9,{last_close},100\n")  # fmt: skip
    return path


def _closes(body: dict[str, Any]) -> list[float]:
    return [row["close"] for row in body["data"]["600000.SH"]]


@pytest.mark.django_db
def test_use_cache_false_reads_the_adjustment_factors_afresh(calendar: None, use_source: Any, tmp_path: Path) -> None:
    call_command("import_bars", str(_write(tmp_path, "9.2")))
    action = CorporateAction.objects.create(symbol="600000.SH", ex_date=date(2024, 1, 3), cash_dividend=1,
                                            source="files")  # fmt: skip
    use_source("files")
    client = Client()
    adjusted = client.get(HISTORY, {**WINDOW, "adjust": "post"}).json()
    assert _closes(adjusted) != [10.0, 9.0, 9.2]  # the dividend is applied (and its factors cached in L3)
    CorporateAction.objects.filter(pk=action.pk).delete()
    fresh = client.get(HISTORY, {**WINDOW, "adjust": "post", "use_cache": "false"}).json()
    assert _closes(fresh) == [10.0, 9.0, 9.2], "use_cache=false must not use the cached factors"


@pytest.mark.django_db
def test_reimporting_the_files_dataset_changes_the_scope(calendar: None, use_source: Any, tmp_path: Path) -> None:
    call_command("import_bars", str(_write(tmp_path, "9.2")))
    use_source("files")
    client = Client()
    assert _closes(client.get(HISTORY, WINDOW).json())[-1] == 9.2
    assert client.get(LATEST, {"symbols": "600000.SH"}).json()["data"]["600000.SH"]["price"] == 9.2
    before = data_scope()
    call_command("import_bars", str(_write(tmp_path, "9.3")))  # a corrected file: the dataset's new version
    state.process_reset()  # a restart: L2 and L3 keep what they hold
    assert data_scope() != before
    assert _closes(client.get(HISTORY, WINDOW).json())[-1] == 9.3
    assert client.get(LATEST, {"symbols": "600000.SH"}).json()["data"]["600000.SH"]["price"] == 9.3
    after = data_scope()
    CorporateAction.objects.create(symbol="600000.SH", ex_date=date(2024, 1, 3), cash_dividend=1, source="files")
    assert data_scope() not in (before, after)  # a corporate action added (in the admin) is a new version too
