"""GET /api/v1/market_data/trading_dates: the spec's shape from the calendar tables."""

from __future__ import annotations

from typing import Any

import pytest

from marketdata.models import CalendarOverride
from marketdata.services.calendar import calendar_changed

pytestmark = pytest.mark.django_db
URL = "/api/v1/market_data/trading_dates"


def test_january_2024_matches_the_spec_example(client: Any, reference_data: None) -> None:
    response = client.get(URL, {"start_date": "2024-01-01", "end_date": "2024-01-31", "market": "SZ"})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert data["trading_dates"][:5] == ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"]
    assert data["total_days"] == 22 == len(data["trading_dates"])
    assert data["holidays"][:3] == ["2024-01-01", "2024-01-06", "2024-01-07"]
    assert len(data["holidays"]) == 31 - 22
    assert body["source"]["simulated"] is False
    assert body["source"]["source"].startswith("calendar (exchange-calendars")
    assert body["source"]["as_of"].endswith("Z")


def test_spring_festival_is_a_holiday_and_all_is_the_default(client: Any, reference_data: None) -> None:
    data = client.get(URL, {"start_date": "2024-02-05", "end_date": "2024-02-19"}).json()["data"]
    assert "2024-02-09" in data["holidays"]
    assert "2024-02-14" in data["holidays"]
    assert data["trading_dates"] == ["2024-02-05", "2024-02-06", "2024-02-07", "2024-02-08", "2024-02-19"]


def test_operator_override_shows_up(client: Any, reference_data: None) -> None:
    CalendarOverride.objects.create(market="SH", date="2024-01-02", is_trading=False, reason="drill")
    calendar_changed()
    data = client.get(URL, {"start_date": "2024-01-01", "end_date": "2024-01-03", "market": "SH"}).json()["data"]
    assert data["trading_dates"] == ["2024-01-03"]
    assert data["holidays"] == ["2024-01-01", "2024-01-02"]


def test_schema_and_docs_are_served_offline(client: Any) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for name in ("latest", "full", "history", "instrument_detail", "trading_dates"):
        assert f"/api/v1/market_data/{name}" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "swagger-ui" in page
    assert "cdn.jsdelivr" not in page and "unpkg" not in page
