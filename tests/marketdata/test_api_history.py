"""GET /history: trading days only, sessions only, totals, CSV, and deterministic adjustment."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from marketdata.calendar import db_calendar
from marketdata.models import Instrument
from marketdata.payloads import BAR_FIELDS
from marketdata.sources import get_source

pytestmark = pytest.mark.django_db
URL = "/api/v1/market_data/history"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def symbol(reference_data: None) -> str:
    found = Instrument.objects.stocks().order_by("symbol").values_list("symbol", flat=True).first()
    assert found is not None
    return str(found)


def history(client: Any, **query: str) -> dict[str, Any]:
    response = client.get(URL, query)
    assert response.status_code == 200, response.content[:400]
    return dict(response.json())


def test_daily_bars_are_the_trading_days_with_totals(client: Any, symbol: str) -> None:
    body = history(client, symbols=symbol, start_date="2024-01-01", end_date="2024-01-31")
    rows = body["data"][symbol]
    market = symbol.rsplit(".", 1)[1]
    assert [row["date"] for row in rows] == [
        day.isoformat() for day in db_calendar.trading_days(market, date(2024, 1, 1), date(2024, 1, 31))
    ]
    assert body["total_records"] == len(rows) == 22
    assert body["period"] == "1d"
    assert all(tuple(row) == BAR_FIELDS for row in rows)
    for before, row in itertools.pairwise(rows):
        assert row["change"] == round(row["close"] - before["close"], 2)
        assert row["low"] <= min(row["open"], row["close"]) <= max(row["open"], row["close"]) <= row["high"]
    assert body["adjustment"]["type"] == "none"
    assert body["source"]["simulated"] is True


def test_intraday_bars_stay_inside_the_sessions(client: Any, symbol: str) -> None:
    body = history(client, symbols=symbol, start_date="2024-01-02", end_date="2024-01-03", period="30m")
    rows = body["data"][symbol]
    assert len(rows) == 16
    for row in rows:
        end = datetime.fromisoformat(row["time"].replace("Z", "+00:00")).astimezone(SHANGHAI).time()
        assert "10:00" <= end.strftime("%H:%M") <= "11:30" or "13:30" <= end.strftime("%H:%M") <= "15:00"


def test_csv_has_the_same_rows(client: Any, symbol: str) -> None:
    query = {"symbols": symbol, "start_date": "2024-01-01", "end_date": "2024-01-31"}
    rows = history(client, **query)["data"][symbol]
    response = client.get(URL, {**query, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response["X-Argus-Simulated"] == "true"
    lines = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(lines) == len(rows)
    assert [float(line["close"]) for line in lines] == [row["close"] for row in rows]
    assert {line["simulated"] for line in lines} == {"True"}


def test_adjustment_is_the_same_whatever_window(client: Any, reference_data: None) -> None:
    source = get_source()
    recent = (date(2022, 1, 1), date.today() - timedelta(days=7))
    symbols = Instrument.objects.stocks().order_by("symbol").values_list("symbol", flat=True)[:100]
    found = next(
        ((s, a.ex_date) for s in symbols for a in source.corporate_actions(s) if recent[0] <= a.ex_date <= recent[1]),
        None,
    )
    if found is None:
        pytest.fail("the simulated source should have recent ex-dates among its first 100 stocks")
    with_actions, ex_date = found
    start, end = ex_date - timedelta(days=120), ex_date + timedelta(days=5)
    wide = history(client, symbols=with_actions, start_date=str(start), end_date=str(end), adjust="pre")
    narrow_end = str(start + timedelta(days=40))
    narrow = history(client, symbols=with_actions, start_date=str(start), end_date=narrow_end, adjust="pre")
    by_date = {row["date"]: row for row in wide["data"][with_actions]}
    assert narrow["data"][with_actions]
    for row in narrow["data"][with_actions]:
        assert row == by_date[row["date"]]
    assert wide["adjustment"]["type"] == "pre"
    assert wide["adjustment"]["anchor_dates"][with_actions] is not None
    raw = history(client, symbols=with_actions, start_date=str(start), end_date=str(end))
    first_raw, first_pre = raw["data"][with_actions][0], wide["data"][with_actions][0]
    assert first_pre["close"] < first_raw["close"]
