"""The calendar's layers, what market=ALL means, the horizon (/health, alerts) and honesty past it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core.management import call_command

from marketdata.calendar import db_calendar
from marketdata.models import HolidayImport, TradingDay
from marketdata.services.calendar import HolidayFileError, calendar_days_left, calendar_sync, parse_holiday_file
from marketdata.sources import load_source
from monitoring.models import AlertRule
from monitoring.services.alerts import alerts_evaluate
from streaming import get_store
from streaming.services.feed import feed_interval

pytestmark = pytest.mark.django_db
URL = "/api/v1/market_data/trading_dates"
REPO = Path(__file__).resolve().parents[2]
TODAY = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # the day the issue was filed: 29 days of calendar left


@pytest.fixture
def calendar(reference_data: None) -> Iterator[None]:
    """The synced calendar; whatever a test imports is rolled back, and every process copy reloaded."""
    yield
    db_calendar.invalidate()


def test_all_means_the_markets_that_existed(client: Any, calendar: None) -> None:
    body = client.get(URL, {"start_date": "2015-01-01", "end_date": "2015-01-10"}).json()
    assert body["success"] is True, body
    assert body["data"]["trading_dates"] == ["2015-01-05", "2015-01-06", "2015-01-07", "2015-01-08", "2015-01-09"]
    assert body["data"]["total_days"] == 5
    # Across BJ's opening day, ALL counts BJ from then on; asking BJ itself before it opened is refused.
    assert client.get(URL, {"start_date": "2021-11-01", "end_date": "2021-11-30"}).json()["success"] is True
    refused = client.get(URL, {"start_date": "2015-01-01", "end_date": "2015-01-10", "market": "BJ"})
    assert refused.status_code == 400


def test_past_the_horizon_a_400_names_the_span_and_how_to_extend(client: Any, calendar: None) -> None:
    response = client.get(URL, {"start_date": "2026-12-20", "end_date": "2027-01-10"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_PARAMETER"
    assert "covers 1990-12-19 to 2026-12-31" in error["details"]
    assert "import_holidays" in error["details"]


def test_history_past_the_horizon_is_refused_not_invented(client: Any, calendar: None) -> None:
    query = {"symbols": "000001.SZ", "start_date": "2026-12-28", "end_date": "2027-01-04"}
    response = client.get("/api/v1/market_data/history", query)
    assert response.status_code == 400
    assert "covers 1991-07-03 to 2026-12-31" in response.json()["error"]["details"]


def test_a_holiday_import_extends_coverage_and_the_400_goes_away(client: Any, calendar: None, capsys: Any) -> None:
    call_command("import_holidays", str(REPO / "config" / "holidays.example.yaml"))
    report = capsys.readouterr().out
    assert "SH: " in report and "covered until 2027-12-31" in report
    assert "holiday import 2027 (holidays.example.yaml)" in report and "+" in report
    body = client.get(URL, {"start_date": "2026-12-28", "end_date": "2027-01-10"}).json()
    assert body["success"] is True, body
    # 2027-01-01 is listed closed; the weekdays after it trade.
    assert body["data"]["trading_dates"][-6:] == [
        "2026-12-31",
        "2027-01-04",
        "2027-01-05",
        "2027-01-06",
        "2027-01-07",
        "2027-01-08",
    ]
    assert "holiday import 2027" in body["source"]["source"]
    # Each day records the layer that decided it.
    assert TradingDay.objects.get(market="SZ", date=date(2027, 1, 4)).source.startswith("holiday import 2027")
    assert TradingDay.objects.get(market="SZ", date=date(2026, 12, 31)).source.startswith("exchange-calendars")
    # A re-sync keeps the import (it is a layer, not a one-off edit); beyond 2027 is still refused.
    calendar_sync()
    assert db_calendar.market("BJ").end == date(2027, 12, 31)
    assert client.get(URL, {"start_date": "2027-12-20", "end_date": "2028-01-10"}).status_code == 400


def test_holiday_files_in_csv_and_errors_that_say_what_to_fix(tmp_path: Path) -> None:
    csv_file = tmp_path / "h.csv"
    csv_file.write_text("date,market\n2027-01-01\n2027-02-08,SH\n", encoding="utf-8")
    years = parse_holiday_file(csv_file)
    assert years[2027]["closed"] == [date(2027, 1, 1), date(2027, 2, 8)]
    bad = tmp_path / "bad.yaml"
    bad.write_text("2027:\n  - 2027-13-01\n", encoding="utf-8")
    with pytest.raises(HolidayFileError, match="YYYY-MM-DD"):
        parse_holiday_file(bad)
    bad.write_text("2027:\n  - tomorrow\n", encoding="utf-8")
    with pytest.raises(HolidayFileError, match="'tomorrow' is not a date"):
        parse_holiday_file(bad)
    assert not HolidayImport.objects.exists()


def test_health_is_degraded_when_the_calendar_ends_within_30_days(
    client: Any, calendar: None, market_clock: Any
) -> None:
    market_clock(TODAY)
    body = client.get("/health").json()
    assert body["status"] == "degraded"
    details = body["details"]["calendar"]
    assert details["status"] == "degraded"
    assert details["covered_until"] == {"SH": "2026-12-31", "SZ": "2026-12-31", "BJ": "2026-12-31"}
    assert details["days_left"]["SH"] == 29
    assert "the SH calendar ends 2026-12-31" in details["detail"] and "import_holidays" in details["detail"]
    market_clock(datetime(2026, 6, 1, 4, 0, tzinfo=UTC))
    assert client.get("/health").json()["details"]["calendar"]["status"] == "healthy"


def test_health_past_the_end_says_it_ended(client: Any, calendar: None, market_clock: Any) -> None:
    market_clock(datetime(2027, 1, 5, 2, 0, tzinfo=UTC))
    detail = client.get("/health").json()["details"]["calendar"]["detail"]
    assert detail.startswith("the SH calendar ended 2026-12-31 (5 days ago); "), detail
    assert "within" not in detail and "import_holidays" in detail


def test_the_seeded_alert_rule_fires_at_30_days(calendar: None, market_clock: Any) -> None:
    rule = AlertRule.objects.get(metric="calendar_days_left")
    market_clock(datetime(2026, 11, 30, 4, 0, tzinfo=UTC))  # 31 days left: not yet
    assert calendar_days_left() == 31
    assert rule.pk not in {event.rule_id for event in alerts_evaluate()}
    market_clock(datetime(2026, 12, 1, 4, 0, tzinfo=UTC))  # 30 days left: fires
    assert rule.pk in {event.rule_id for event in alerts_evaluate() if event.kind == "firing"}


def test_the_admin_shows_the_horizon(admin_client: Any, calendar: None, market_clock: Any) -> None:
    market_clock(TODAY)
    page = admin_client.get("/admin/marketdata/calendarcoverage/").content.decode()
    assert "2026-12-31" in page or "Dec. 31, 2026" in page
    assert "29" in page


def test_xtquant_calendar_layer_extends_beyond_the_package(xtquant_fake: ModuleType) -> None:
    source = load_source({"BACKEND": "xtquant", "OPTIONS": {"host": "localhost", "port": 58610, "user_id": ""}})
    span = source.own_calendar("SH", date(2023, 12, 31))
    assert span is not None and span.label.startswith("xtquant")
    assert span.end == date(2024, 12, 31)  # the last year get_holidays knows
    assert date(2024, 2, 9) not in span.days  # a holiday
    assert date(2024, 12, 31) in span.days  # a weekday beyond its trading dates, not a holiday
    assert all(day.weekday() < 5 for day in span.days)
    assert source.own_calendar("SH", date(2025, 1, 1)) is None


def test_the_simulated_market_moves_past_the_calendar_on_provisional_weekdays(
    calendar: None, market_clock: Any
) -> None:
    source = load_source({"BACKEND": "simulated", "OPTIONS": {"seed": 0, "universe_size": 20}})
    frozen = market_clock(datetime(2027, 1, 5, 2, 0, tzinfo=UTC))  # Tuesday 10:00 Shanghai, past 2026-12-31
    first = source.latest_ticks(["000001.SZ"])["000001.SZ"]
    assert first.trading_day == date(2027, 1, 5)
    frozen.advance(minutes=30)
    later = source.latest_ticks(["000001.SZ"])["000001.SZ"]
    assert later.trading_day == date(2027, 1, 5) and later.volume > first.volume  # the market moves
    # The embedded default replays the last complete session: the provisional 2027-01-04.
    replay = load_source({"BACKEND": "simulated", "OPTIONS": {"seed": 0, "universe_size": 20, "clock": "replay"}})
    assert replay.latest_ticks(["000001.SZ"])["000001.SZ"].trading_day == date(2027, 1, 4)
    assert source.calendar.is_trading_day("SH", date(2027, 1, 8))
    assert not source.calendar.is_trading_day("SH", date(2027, 1, 9))  # a Saturday
    health = source.health()
    assert "calendar: provisional" in health.detail and health.extra["calendar"] == "provisional"
    # The feed's market status (pushed to subscribers) says so too.
    store = get_store()
    feed_interval(store, source, lambda symbols, trading: (0, 0))
    status = json.loads(asyncio.run(store.value("market")) or "{}")
    assert status["market_phase"] == "continuous" and status["calendar"] == "provisional"
    # Inside the calendar nothing is provisional.
    frozen.set(datetime(2026, 12, 3, 2, 0, tzinfo=UTC))
    assert "provisional" not in source.health().detail
    feed_interval(store, source, lambda symbols, trading: (0, 0))
    assert "calendar" not in json.loads(asyncio.run(store.value("market")) or "{}")
