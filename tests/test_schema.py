"""The OpenAPI schema: generated from the code, and real responses of every market-data endpoint conform to it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import jsonschema
import pytest
from django.core.cache import cache

from cachemgr.services import state
from marketdata.models import Instrument

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def openapi(client: Any) -> dict[str, Any]:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return dict(response.json())


def conforms(openapi: dict[str, Any], path: str, status: int, body: Any, media: str = JSON) -> None:
    operation = openapi["paths"][path]["get"]
    schema = operation["responses"][str(status)]["content"][media]["schema"]
    validator = jsonschema.Draft202012Validator({**schema, "components": openapi["components"]})
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(body)]
    assert not errors, errors


def _requests(symbol: str) -> list[tuple[str, dict[str, str]]]:
    last_month_end = date.today().replace(day=1) - timedelta(days=1)
    month = {"start_date": last_month_end.replace(day=1).isoformat(), "end_date": last_month_end.isoformat()}
    return [
        ("latest", {"symbols": symbol}),
        ("latest", {"symbols": symbol, "fields": "price,volume,change"}),
        ("full", {"symbols": symbol}),
        ("full", {"symbols": symbol, "fields": "orderbook", "depth": "10"}),
        ("history", {"symbols": symbol, **month}),
        ("history", {"symbols": symbol, **month, "period": "30m", "adjust": "pre"}),
        ("instrument_detail", {"symbols": symbol}),
        ("trading_dates", {**month, "market": "SH"}),
    ]


def test_every_endpoint_answers_as_its_schema_says(client: Any, openapi: dict[str, Any], reference_data: None) -> None:
    symbol = Instrument.objects.stocks().order_by("symbol").values_list("symbol", flat=True).first()
    assert symbol is not None
    for use_cache in ("false", "true"):
        cache.clear()
        state.process_reset()
        for name, query in _requests(symbol):
            path = f"/api/v1/market_data/{name}"
            params = {**query, "use_cache": use_cache} if name != "trading_dates" else query
            response = client.get(path, params)
            assert response.status_code == 200, (path, response.content[:500])
            conforms(openapi, path, 200, response.json())


def test_errors_answer_as_the_schema_says(client: Any, openapi: dict[str, Any], reference_data: None) -> None:
    Instrument.objects.filter(symbol="603999.SH").delete()
    cases = [
        ("/api/v1/market_data/latest", {}, 400),
        ("/api/v1/market_data/history", {"symbols": "x", "start_date": "2024-01-01", "end_date": "2024-01-02"}, 400),
        ("/api/v1/market_data/full", {"symbols": "603999.SH"}, 404),
    ]
    for path, query, status in cases:
        response = client.get(path, query)
        assert response.status_code == status
        conforms(openapi, path, status, response.json())
