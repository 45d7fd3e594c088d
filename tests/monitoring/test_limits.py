"""Rate limits: the spec's table, per client, shared store, 429 in the envelope with headers."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from monitoring.services.ratelimit import rate_limit_hit

pytestmark = pytest.mark.django_db

CASES = [
    ("get", "/api/v1/market_data/latest", 100),
    ("get", "/api/v1/market_data/history", 50),
    ("delete", "/api/v1/cache/clear", 20),
    ("post", "/api/v1/connection_pool/pools", 20),
]


@pytest.mark.parametrize(("method", "path", "limit"), CASES)
def test_limit_trips_at_the_spec_count(client: Client, spec_limits: Any, method: str, path: str, limit: int) -> None:
    send = getattr(client, method)
    for i in range(limit):
        response = send(path)
        assert response.status_code == 200, (i, response.content)
        assert response["X-RateLimit-Limit"] == str(limit)
        assert response["X-RateLimit-Remaining"] == str(limit - i - 1)
        assert 0 < int(response["X-RateLimit-Reset"]) <= 60
    refused = send(path)
    assert refused.status_code == 429
    body = refused.json()
    assert body["success"] is False
    assert body["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert body["error"]["message"] == "请求频率超限"
    assert "retry in" in body["error"]["details"]
    assert 0 < int(refused["Retry-After"]) <= 60
    assert (refused["X-RateLimit-Limit"], refused["X-RateLimit-Remaining"]) == (str(limit), "0")


def test_classes_and_clients_have_their_own_windows(client: Client, spec_limits: Any, make_key: Any) -> None:
    spec_limits["management"] = (2, 60.0)
    for _ in range(2):
        assert client.delete("/api/v1/cache/clear").status_code == 200
    assert client.delete("/api/v1/cache/clear").status_code == 429
    assert client.post("/api/v1/connection_pool/pools").status_code == 429  # same class, same client
    assert client.get("/api/v1/market_data/latest").status_code == 200  # another class
    other_ip = Client(REMOTE_ADDR="10.0.0.7")
    assert other_ip.delete("/api/v1/cache/clear").status_code == 200
    _, raw = make_key("cache:manage")
    assert client.delete("/api/v1/cache/clear", headers={"X-API-Key": raw}).status_code == 200


def test_window_resets(client: Client, spec_limits: Any) -> None:
    spec_limits["realtime"] = (3, 1.0)
    assert [client.get("/api/v1/market_data/latest").status_code for _ in range(4)] == [200, 200, 200, 429]
    time.sleep(1.2)
    response = client.get("/api/v1/market_data/latest")
    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"] == "2"


def test_health_and_metrics_are_never_limited(client: Client, spec_limits: Any) -> None:
    for name in spec_limits:
        spec_limits[name] = (1, 60.0)
    for path in ("/health", "/metrics", "/api/v1/metrics/system", "/api/v1/metrics/service") * 3:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "X-RateLimit-Limit" not in response


def test_websocket_class_counts_messages(spec_limits: Any) -> None:
    decisions = [rate_limit_hit("key:abcd1234", "websocket") for _ in range(1001)]
    assert all(d is not None and d.allowed for d in decisions[:1000])
    last = decisions[-1]
    assert last is not None and not last.allowed and last.limit == 1000 and last.remaining == 0
