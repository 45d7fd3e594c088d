"""The bar ledger: expected vs recorded minutes per symbol and day, every gap labelled (GET /coverage)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient

from marketdata.sources.base import TickStatus
from streaming import recorder as recorder_module
from streaming.recorder import get_recorder, record_poll, recorder_close
from streaming.services.ticks import ticks_ingest
from tests.support.ticks import START

pytestmark = [pytest.mark.usefixtures("stream", "reference_data", "instruments")]
URL = "/api/v1/market_data/coverage"


@pytest.fixture
def crashed_morning(settings: Any, tmp_path: Path, make_tick: Any) -> Iterator[None]:
    """09:30-09:59 of 2024-01-15 recorded, then the recording process dies (its last flush stands).

    000001.SZ: a changed tick in minutes 0-9 and 20-29; minutes 10-14 the feed polls but nothing
    changes; minutes 15-19 the feed does not poll. 000002.SZ is suspended from its first tick on.
    """
    recorder_close()
    settings.ARGUS_RECORDER_ENABLED = True
    settings.ARGUS_RECORDER_DIR = str(tmp_path / "archive")
    settings.ARGUS_RECORDER_RETENTION_DAYS = 100_000
    settings.ARGUS_RECORDER_FLUSH_SECONDS = 3600  # flushed by hand below
    for minute in range(30):
        if 15 <= minute < 20:
            continue  # the feed is down
        record_poll(START + timedelta(minutes=minute, seconds=30))
        if minute < 10 or minute >= 20:
            ticks_ingest([make_tick("000001.SZ", 20 * minute)])
        if minute == 0:
            ticks_ingest([make_tick("000002.SZ", 0, status=TickStatus.SUSPENDED)])
    crashed = get_recorder()
    assert crashed is not None
    crashed.flush()
    crashed._stop.set()  # as SIGKILL: no close, the manifest stays `closed: false`
    recorder_module._recorder = None
    settings.ARGUS_RECORDER_ENABLED = False
    yield
    recorder_close()


def test_every_minute_is_covered_or_a_labelled_gap(crashed_morning: None) -> None:
    response = HttpClient().get(URL, {"symbols": "000001.SZ,000002.SZ", "date": "2024-01-15"})
    body = response.json()
    assert response.status_code == 200 and body["success"] is True, body
    ledger = body["data"]["000001.SZ"]
    assert (ledger["expected_minutes"], ledger["covered_minutes"], ledger["missing_minutes"]) == (240, 20, 220)
    assert ledger["gaps"] == [
        {"from": "09:40", "to": "09:45", "minutes": 5, "reason": "no_trade"},
        {"from": "09:45", "to": "09:50", "minutes": 5, "reason": "feed_down"},
        {"from": "10:00", "to": "11:30", "minutes": 90, "reason": "not_recorded"},
        {"from": "13:00", "to": "15:00", "minutes": 120, "reason": "not_recorded"},
    ]
    assert ledger["by_reason"] == {"suspended": 0, "not_recorded": 210, "feed_down": 5, "no_trade": 5}
    suspended = body["data"]["000002.SZ"]
    assert suspended["covered_minutes"] == 1 and suspended["by_reason"]["suspended"] == 239
    (writer,) = body["archive"]["writers"]
    assert writer["closed"] is False and writer["recorded_through"].startswith("2024-01-15T09:59:30")
    assert body["source"]["recorded"] is True


def test_a_day_the_market_does_not_trade_expects_nothing(crashed_morning: None) -> None:
    body = HttpClient().get(URL, {"symbols": "000001.SZ", "date": "2024-01-13"}).json()  # a Saturday
    ledger = body["data"]["000001.SZ"]
    assert ledger["trading"] is False and ledger["expected_minutes"] == 0 and "not a trading day" in ledger["note"]


@pytest.mark.parametrize(
    ("params", "code", "words"),
    [
        ({"symbols": "000001.SZ"}, "MISSING_PARAMETER", "date"),
        ({"symbols": "000001.SZ", "date": "2999-01-01"}, "INVALID_PARAMETER", "future"),
        ({"symbols": "000001.SZ", "date": "2024-02-30"}, "INVALID_PARAMETER", "29 days"),
        ({"date": "2024-01-15"}, "MISSING_PARAMETER", "symbols"),
    ],
)
def test_bad_input_gets_the_error_envelope(params: dict[str, str], code: str, words: str) -> None:
    response = HttpClient().get(URL, params)
    body = response.json()
    assert response.status_code == 400 and body["error"]["code"] == code, body
    assert words in str(body["error"]["details"]), body


def test_the_console_shows_the_ledger_of_the_latest_recorded_day(crashed_morning: None, settings: Any) -> None:
    from django.contrib.auth.models import User

    client = HttpClient()
    client.force_login(User.objects.create_user("viewer", password="pw", is_staff=True))
    body = client.get("/console/").content.decode()
    assert 'data-testid="ledger-row" data-symbol="000001.SZ"' in body
    assert "09:45–09:50 feed_down" in body and "10:00–11:30 not_recorded" in body
    assert 'data-testid="recorder-ends"' in body and "open</span>" in body
