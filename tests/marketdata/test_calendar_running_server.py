"""An operator's `manage.py import_holidays` reaches a server that is already running.

The command runs in a process of its own. With Redis it announces the change through the shared
calendar version; in the embedded default (no Redis, L2 is each process's memory) the server sees
the change in the database itself. Either way the 400 for the imported span goes away within
seconds, without restarting the server.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings

from marketdata.calendar import db_calendar
from marketdata.models import HolidayImport, TradingDay
from tests.support.databases import database_url
from tests.support.net import wait_until
from tests.support.paths import ROOT
from tests.support.processes import clean_env
from tests.support.servers import argus_server

pytestmark = pytest.mark.timeout(180)

EXAMPLE = ROOT / "config" / "holidays.example.yaml"
QUERY = {"start_date": "2027-01-04", "end_date": "2027-01-08", "market": "SH"}


def _env() -> dict[str, str]:
    env = {"ARGUS_TEST_SERVICES": "0"}
    if settings.ARGUS_TEST_SERVICES:
        env.update({"ARGUS_TEST_SERVICES": "1", "REDIS_URL": settings.REDIS_URL})
    return env


@pytest.fixture
def synced(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """The package's calendar committed (the server process reads it); the import undone afterwards."""
    from marketdata.services.calendar import calendar_sync

    with django_db_blocker.unblock():
        HolidayImport.objects.all().delete()
        calendar_sync()
    yield
    with django_db_blocker.unblock():
        HolidayImport.objects.all().delete()
        calendar_sync()
        assert TradingDay.objects.filter(date__year=2027).count() == 0
    db_calendar.invalidate()


def test_an_import_in_another_process_reaches_the_running_server(synced: None, tmp_path: Path) -> None:
    with argus_server(tmp_path, _env()) as base:
        url = f"{base}/api/v1/market_data/trading_dates"
        before = httpx.get(url, params=QUERY, timeout=10)
        assert before.status_code == 400, before.text
        assert "covers 1990-12-19 to 2026-12-31" in before.json()["error"]["details"]

        env = clean_env()
        env.update({"DJANGO_SETTINGS_MODULE": "argus_site.settings.test", "DATABASE_URL": database_url(), **_env()})
        done = subprocess.run(
            [sys.executable, "manage.py", "import_holidays", str(EXAMPLE)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "covered until 2027-12-31" in done.stdout

        answers: list[httpx.Response] = []

        def imported() -> bool:
            answers.append(httpx.get(url, params=QUERY, timeout=10))
            return answers[-1].status_code == 200

        try:
            wait_until(imported, 30, "the running server to see the import")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; its last answer: {answers[-1].text if answers else None}") from None
        body = answers[-1].json()["data"]
        assert body["trading_dates"] == ["2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08"]
        health = httpx.get(f"{base}/health", timeout=10).json()
        assert health["details"]["calendar"]["covered_until"]["SH"] == "2027-12-31"
