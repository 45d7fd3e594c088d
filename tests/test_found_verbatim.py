"""Issue 15's "also found" list: the guide's words accepted, repeats handled, one language, right codes."""

from __future__ import annotations

from typing import Any

import pytest

from streaming.protocol import requested_action

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


def _error(response: Any, code: str) -> str:
    body = response.json()
    assert response.status_code == 400, body
    assert body["error"]["code"] == code, body
    return str(body["error"]["details"])


def test_full_accepts_the_guides_field_names(client: Any) -> None:
    body = client.get("/api/v1/market_data/full", {"symbols": "000001.SZ", "fields": "price,volume,bid,ask"}).json()
    assert body["success"] is True, body
    snapshot = body["data"]["000001.SZ"]
    assert set(snapshot) == {"basic", "orderbook"}
    assert set(snapshot["basic"]) == {"symbol", "price", "volume"}
    assert set(snapshot["orderbook"]) == {"bids", "asks"}
    only_bids = client.get("/api/v1/market_data/full", {"symbols": "000001.SZ", "fields": "bid"}).json()
    assert set(only_bids["data"]["000001.SZ"]) == {"orderbook"}
    assert set(only_bids["data"]["000001.SZ"]["orderbook"]) == {"bids"}
    whole = client.get("/api/v1/market_data/full", {"symbols": "000001.SZ"}).json()["data"]["000001.SZ"]
    assert set(whole) == {"basic", "orderbook", "trades"}


def test_repeated_list_parameters_merge_and_other_repeats_are_refused(client: Any) -> None:
    body = client.get("/api/v1/market_data/latest?symbols=000001.SZ&symbols=600000.SH&use_cache=false").json()
    assert list(body["data"]) == ["000001.SZ", "600000.SH"]
    details = _error(
        client.get(
            "/api/v1/market_data/history?symbols=000001.SZ&start_date=2024-01-02&start_date=2024-01-03"
            "&end_date=2024-01-31"
        ),
        "INVALID_PARAMETER",
    )
    assert "start_date is given 2 times" in details


def test_a_day_that_does_not_exist_is_called_so(client: Any) -> None:
    query = {"symbols": "000001.SZ", "start_date": "2024-02-30", "end_date": "2024-03-05"}
    details = _error(client.get("/api/v1/market_data/history", query), "INVALID_PARAMETER")
    assert "2024-02-30 is not a day: February 2024 has 29 days" in details
    query["start_date"] = "2024-13-01"
    assert "there is no month 13" in _error(client.get("/api/v1/market_data/history", query), "INVALID_PARAMETER")
    query["start_date"] = "Jan 1"
    assert "use YYYY-MM-DD" in _error(client.get("/api/v1/market_data/history", query), "INVALID_PARAMETER")


def test_a_pool_without_a_name_is_missing_parameter_and_details_are_english(client: Any) -> None:
    response = client.post(
        "/api/v1/connection_pool/pools", {"config": {"min_size": 1}}, content_type="application/json"
    )
    assert "name is required" in _error(response, "MISSING_PARAMETER")
    response = client.post(
        "/api/v1/connection_pool/pools", {"name": "p1", "config": {"min_size": "many"}}, content_type="application/json"
    )
    details = _error(response, "INVALID_PARAMETER")
    assert "A valid integer is required" in details
    assert not any("\u4e00" <= char <= "\u9fff" for char in details), details  # no Chinese inside English details


def test_a_body_of_another_media_type_is_one_sentence_saying_what_to_send(client: Any) -> None:
    response = client.post("/api/v1/connection_pool/pools", "name=p1", content_type="text/plain")
    details = _error(response, "INVALID_PARAMETER")
    assert details == 'Unsupported media type "text/plain" in request; send Content-Type: application/json'


def test_websocket_errors_name_the_action_they_refused() -> None:
    assert requested_action('{"action": "subscribe", "symbols": ["bogus"]}', max_bytes=1000) == "subscribe"
    assert requested_action("not json", max_bytes=1000) is None
    assert requested_action('{"action": 5}', max_bytes=1000) is None


def test_one_service_uptime_for_health_and_get_stats(client: Any, services: None) -> None:
    """Another live process that started 1000 s ago makes the service 1000 s old, for every reader."""
    import time

    import orjson

    from cachemgr import keys
    from cachemgr.services import service_started_at
    from core.redis import redis_client

    key = keys.cache_process_key("elsewhere:1:test")
    redis_client().set(key, orjson.dumps({"started_at": time.time() - 1000, "published": time.time()}), ex=30)
    try:
        assert time.time() - service_started_at() >= 1000
        assert client.get("/health").json()["uptime_seconds"] >= 1000
    finally:
        redis_client().delete(key)
