"""Market-data API errors over HTTP: the spec's envelope, codes and statuses, with details that say what to fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from marketdata.models import Instrument

pytestmark = pytest.mark.django_db

LATEST = "/api/v1/market_data/latest"
HISTORY = "/api/v1/market_data/history"


def error_of(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert body["timestamp"].endswith("Z")
    return str(body["error"]["details"])


def test_missing_symbols_names_the_parameter(client: Any) -> None:
    details = error_of(client.get(LATEST), 400, "MISSING_PARAMETER")
    assert "symbols is required" in details


def test_history_names_every_missing_parameter(client: Any) -> None:
    details = error_of(client.get(HISTORY, {"symbols": "000001.SZ"}), 400, "MISSING_PARAMETER")
    assert "start_date, end_date are required" in details


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        (LATEST, {"symbols": "000001"}, "six digits, a dot and SH, SZ or BJ"),
        (LATEST, {"symbols": ",".join(f"{600000 + n}.SH" for n in range(101))}, "at most 100 per request"),
        (LATEST, {"symbols": "000001.SZ", "fields": "price,colour"}, "unknown field(s) colour; valid fields: symbol"),
        (LATEST, {"symbols": "000001.SZ", "use_cache": "perhaps"}, "use_cache"),
        ("/api/v1/market_data/full", {"symbols": "000001.SZ", "depth": "7"}, "'7' is not one of 5, 10, 20"),
        ("/api/v1/market_data/full", {"symbols": "000001.SZ", "fields": "quotes"}, "all, basic, orderbook, trades"),
        (HISTORY, {"symbols": "000001.SZ", "start_date": "2024-13-01", "end_date": "2024-12-31"}, "YYYY-MM-DD"),
        (
            HISTORY,
            {"symbols": "000001.SZ", "start_date": "2024-02-01", "end_date": "2024-01-01"},
            "start_date 2024-02-01 is after end_date 2024-01-01",
        ),
        (
            HISTORY,
            {"symbols": "000001.SZ", "start_date": "2024-01-01", "end_date": "2024-01-31", "period": "2m"},
            "'2m' is not one of 1m, 5m, 15m, 30m, 1h, 1d, 1w, 1mon",
        ),
        (
            HISTORY,
            {"symbols": "000001.SZ", "start_date": "2024-01-01", "end_date": "2024-01-31", "adjust": "qfq"},
            "'qfq' is not one of none, pre, post",
        ),
        (
            "/api/v1/market_data/trading_dates",
            {"start_date": "2024-01-01", "end_date": "2024-01-31", "market": "HK"},
            "'HK' is not one of SH, SZ, BJ, ALL",
        ),
    ],
)
def test_invalid_parameters_say_what_to_fix(client: Any, path: str, query: dict[str, str], expected: str) -> None:
    assert expected in error_of(client.get(path, query), 400, "INVALID_PARAMETER")


def test_too_many_rows_tells_how_to_page(client: Any, reference_data: None) -> None:
    query = {"symbols": "000001.SZ", "start_date": "2024-01-01", "end_date": "2024-12-31", "period": "1m"}
    details = error_of(client.get(HISTORY, query), 400, "INVALID_PARAMETER")
    assert "at most 10000 rows per request for period 1m" in details
    assert "at most 41 trading days per request" in details
    assert "end_date=2024-03-06" in details


def test_dates_beyond_the_calendar_name_its_span(client: Any, reference_data: None) -> None:
    query = {"symbols": "000001.SZ", "start_date": "1980-01-01", "end_date": "1980-01-31"}
    details = error_of(client.get(HISTORY, query), 400, "INVALID_PARAMETER")
    assert "the SZ trading calendar covers 1991-07-03 to" in details


def test_unknown_symbol_is_not_found_by_name(client: Any, reference_data: None) -> None:
    Instrument.objects.filter(symbol="603999.SH").delete()
    details = error_of(client.get(LATEST, {"symbols": "000001.SZ,603999.SH"}), 404, "NOT_FOUND")
    assert "unknown symbol(s): 603999.SH" in details
    assert "000001.SZ" not in details


def test_unknown_route_is_json(client: Any) -> None:
    details = error_of(client.get("/api/v1/market_data/nothing_here"), 404, "NOT_FOUND")
    assert "/api/v1/market_data/nothing_here" in details


def test_wrong_method_is_405(client: Any) -> None:
    details = error_of(client.post(LATEST, {"symbols": "000001.SZ"}), 405, "METHOD_NOT_ALLOWED")
    assert "POST" in details


@pytest.mark.parametrize(
    ("backend", "status", "code", "tried"),
    [
        ("tests.marketdata.faults.DownSource", 503, "SERVICE_UNAVAILABLE", "tried node 127.0.0.1:9"),
        ("tests.marketdata.faults.XtQuantDownSource", 500, "XTQUANT_ERROR", "connect to 127.0.0.1:58610"),
    ],
)
def test_source_outage_says_what_was_tried(
    client: Any, reference_data: None, use_source: Callable[..., None], backend: str, status: int, code: str, tried: str
) -> None:
    Instrument.objects.filter(symbol="000001.SZ").update(simulated=False)  # listed by a real source
    use_source(backend)
    details = error_of(client.get(LATEST, {"symbols": "000001.SZ", "use_cache": "false"}), status, code)
    assert "latest ticks of 000001.SZ from source" in details
    assert tried in details


def test_a_bug_is_internal_error_without_a_trace(
    client: Any, reference_data: None, use_source: Callable[..., None]
) -> None:
    Instrument.objects.filter(symbol="000001.SZ").update(simulated=False)  # listed by a real source
    use_source("tests.marketdata.faults.BrokenSource")
    details = error_of(client.get(LATEST, {"symbols": "000001.SZ", "use_cache": "false"}), 500, "INTERNAL_ERROR")
    assert "secret" not in details
    assert "Traceback" not in details
