"""Metrics: the spec's shapes, figures equal to the requests made, summed over processes."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import httpx
import pytest
import redis
from django.db import connection
from django.test import Client

from monitoring.services.metrics import ws_connection_closed, ws_connection_opened
from tests.monitoring.conftest import argus_server, wait_until

pytestmark = pytest.mark.django_db


def test_system_metrics_have_the_spec_shape(client: Client) -> None:
    body = client.get("/api/v1/metrics/system").json()
    assert body["success"] is True
    data = body["data"]
    assert set(data) == {"cpu_percent", "memory_percent", "disk_usage_percent", "network_io", "process_info"}
    assert set(data["network_io"]) == {"bytes_sent", "bytes_recv"}
    assert data["process_info"]["pid"] == os.getpid()
    assert data["process_info"]["threads"] >= 1 and data["process_info"]["open_files"] >= 0
    assert 0 < data["memory_percent"] <= 100 and 0 <= data["disk_usage_percent"] <= 100


def test_service_metrics_count_the_requests_made(client: Client, routes: None, clean_metrics: None) -> None:
    for _ in range(7):
        assert client.get("/api/v1/market_data/latest").status_code == 200
    for _ in range(3):
        assert client.get("/api/v1/market_data/latest?fail=1").status_code == 500
    client.get("/health")  # scrapes are not counted
    data = client.get("/api/v1/metrics/service").json()["data"]
    assert set(data) == {
        "requests_total",
        "requests_per_second",
        "avg_response_time_ms",
        "error_rate",
        "active_connections",
        "cache_hit_rate",
        "database_connections",
    }
    assert data["requests_total"] == 10
    assert data["error_rate"] == 0.3
    assert data["requests_per_second"] == round(10 / 60, 3)
    assert data["avg_response_time_ms"] > 0
    assert data["active_connections"] == 0
    if connection.vendor == "postgresql":
        assert data["database_connections"] >= 1
    else:
        assert data["database_connections"] is None
    again = client.get("/api/v1/metrics/service").json()["data"]
    assert again["requests_total"] == 11  # the previous metrics call itself


def test_websocket_connections_are_counted(client: Client, clean_metrics: None) -> None:
    ws_connection_opened()
    ws_connection_opened()
    ws_connection_closed()
    assert client.get("/api/v1/metrics/service").json()["data"]["active_connections"] == 1
    ws_connection_closed()
    assert client.get("/api/v1/metrics/service").json()["data"]["active_connections"] == 0


def test_prometheus_text_has_the_figures_and_histograms(client: Client, routes: None, clean_metrics: None) -> None:
    for _ in range(4):
        client.get("/api/v1/market_data/history")
    response = client.get("/metrics")
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.content.decode()
    assert "argus_requests_total 4\n" in text
    assert "argus_errors_total 0\n" in text
    assert re.search(r"^argus_memory_percent \d", text, re.M)
    endpoint = 'endpoint="/api/v1/market_data/history"'
    assert f'argus_http_request_duration_seconds_bucket{{{endpoint},le="+Inf"}} 4' in text
    assert f"argus_http_request_duration_seconds_count{{{endpoint}}} 4" in text
    buckets = [int(v) for v in re.findall(rf'_bucket\{{{re.escape(endpoint)},le="[^"]+"\}} (\d+)', text)]
    assert buckets == sorted(buckets) and len(buckets) == 11


def _prometheus_total(base: str) -> int:
    text = httpx.get(f"{base}/metrics", timeout=5).text
    match = re.search(r"^argus_requests_total (\d+)$", text, re.M)
    return int(match.group(1)) if match else -1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_metrics_are_summed_over_two_server_processes(tmp_path: Path, redis_url: str) -> None:
    namespace = f"argus-test-metrics-{uuid.uuid4().hex[:8]}"
    env = {"REDIS_URL": redis_url, "ARGUS_NAMESPACE": namespace}
    try:
        _two_servers(tmp_path, env)
    finally:
        shared = redis.Redis.from_url(redis_url)
        for key in shared.scan_iter(match=f"{namespace}:*", count=1000):
            shared.delete(key)


def _two_servers(tmp_path: Path, env: dict[str, str]) -> None:
    with argus_server(tmp_path, env) as first, argus_server(tmp_path, env) as second, httpx.Client(timeout=10) as http:
        for _ in range(13):
            assert http.get(f"{first}/api/v1/metrics/system").status_code == 200
        for _ in range(8):
            assert http.get(f"{second}/api/v1/metrics/system").status_code == 200
            assert http.get(f"{second}/no/such/route").status_code == 404
        n = 13 + 16
        wait_until(lambda: _prometheus_total(first) == n, what=f"{n} requests flushed")
        from_first = http.get(f"{first}/api/v1/metrics/service").json()["data"]
        assert from_first["requests_total"] == n
        assert from_first["error_rate"] == 0.0  # 404s are client errors, not service errors
        wait_until(lambda: _prometheus_total(second) == n + 1, what="the first metrics call flushed")
        from_second = http.get(f"{second}/api/v1/metrics/service").json()["data"]
        assert from_second["requests_total"] == n + 1
        assert from_second["requests_per_second"] == round((n + 1) / 60, 3)
        assert from_second["active_connections"] == 0
