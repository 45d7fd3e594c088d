"""连接池管理 API: the spec's request and response shapes, validation, and the resulting rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pools.models import PoolConfig, ServerNode

pytestmark = pytest.mark.django_db

BASE = "/api/v1/connection_pool/pools"

SPEC_BODY: dict[str, Any] = {
    "name": "market_data_pool",
    "config": {
        "min_size": 5,
        "max_size": 50,
        "initial_size": 10,
        "timeout": 30.0,
        "max_idle_time": 300.0,
        "health_check_interval": 60.0,
        "auto_scale": True,
        "scale_factor": 1.5,
        "scale_threshold": 0.8,
        "load_balance_strategy": "round_robin",
    },
    "server_nodes": [{"host": "localhost", "port": 8001, "weight": 1.0, "max_connections": 100}],
}


def post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, body, content_type="application/json")


def test_create_answers_the_spec_shape_and_stores_rows(client: Client) -> None:
    response = post(client, BASE, SPEC_BODY)
    assert response.status_code == 201
    body = response.json()
    assert body.pop("timestamp").endswith("Z")
    assert body == {
        "success": True,
        "message": "Connection pool 'market_data_pool' created successfully",
        "pool_name": "market_data_pool",
        "config": {"min_size": 5, "max_size": 50, "auto_scale": True},
        "server_nodes_count": 1,
    }
    pool = PoolConfig.objects.get(name="market_data_pool")
    assert (pool.min_size, pool.max_size, pool.initial_size, pool.current_size) == (5, 50, 10, 10)
    assert pool.load_balance_strategy == "round_robin"
    assert list(pool.nodes.values_list("host", "port", "weight", "max_connections")) == [("localhost", 8001, 1.0, 100)]


def test_create_fills_defaults_from_settings(client: Client, settings: Any) -> None:
    response = post(client, BASE, {"name": "minimal", "server_nodes": [{"host": "10.0.0.7", "port": 8001}]})
    assert response.status_code == 201
    pool = PoolConfig.objects.get(name="minimal")
    assert (pool.min_size, pool.max_size, pool.current_size) == (
        settings.POOL_MIN_SIZE,
        settings.POOL_MAX_SIZE,
        settings.POOL_MIN_SIZE,
    )
    assert (pool.timeout, pool.auto_scale) == (settings.POOL_TIMEOUT, settings.POOL_AUTO_SCALE)
    assert pool.nodes.get().weight == 1.0


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"config": {"min_size": 10, "max_size": 5}}, "min_size (10) must not be larger than max_size (5)"),
        ({"config": {"load_balance_strategy": "fastest"}}, "load_balance_strategy"),
        ({"server_nodes": [{"host": "localhost", "port": 70000}]}, "port"),
        ({"server_nodes": [{"host": "localhost", "port": 0}]}, "port"),
        ({"server_nodes": [{"host": "bad host!", "port": 8001}]}, "is not a hostname or IP address"),
        ({"server_nodes": [{"host": "localhost", "port": 8001, "weight": 0}]}, "weight"),
        ({"server_nodes": [{"host": "a", "port": 1}, {"host": "a", "port": 1}]}, "a:1 is listed twice"),
        ({"name": "has space"}, "name"),
        ({"config": {"min_size": 2, "max_size": 4, "initial_size": 9}}, "initial_size (9) must lie between"),
    ],
)
def test_bad_config_is_invalid_parameter_with_details(client: Client, change: dict[str, Any], needle: str) -> None:
    response = post(client, BASE, {**SPEC_BODY, **change})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_PARAMETER"
    assert needle in error["details"]
    assert not PoolConfig.objects.exists()


def test_duplicate_name_is_invalid_parameter(client: Client) -> None:
    assert post(client, BASE, SPEC_BODY).status_code == 201
    response = post(client, BASE, SPEC_BODY)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_PARAMETER"
    assert "already exists" in response.json()["error"]["details"]
    assert PoolConfig.objects.count() == 1


def test_list_and_detail_before_any_traffic(client: Client) -> None:
    post(client, BASE, SPEC_BODY)
    listing = client.get(BASE).json()
    assert listing["total_pools"] == 1
    assert listing["pools"] == [
        {
            "name": "market_data_pool",
            "active_connections": 0,
            "idle_connections": 0,
            "total_connections": 0,
            "pool_utilization": 0.0,
            "health_status": "unknown",  # no node has been probed yet: nothing claims it is healthy
            "server_nodes_count": 1,
            "last_update": None,
        }
    ]
    detail = client.get(f"{BASE}/market_data_pool").json()
    assert detail["pool_name"] == "market_data_pool"
    metrics = detail["metrics"]
    # Nothing was sent yet: figures that cannot be known are null, counts are zero.
    assert (metrics["avg_response_time"], metrics["error_rate"], metrics["throughput"]) == (None, None, 0.0)
    assert metrics["server_nodes"] == [
        {"host": "localhost", "port": 8001, "health_status": None, "current_connections": 0, "response_time": None}
    ]
    assert {
        k: detail["config"][k] for k in ("min_size", "max_size", "timeout", "auto_scale", "load_balance_strategy")
    } == {
        "min_size": 5,
        "max_size": 50,
        "timeout": 30.0,
        "auto_scale": True,
        "load_balance_strategy": "round_robin",
    }


def test_unknown_pool_is_not_found(client: Client) -> None:
    for response in (
        client.get(f"{BASE}/nope"),
        post(client, f"{BASE}/nope/scale", {"target_size": 3}),
        post(client, f"{BASE}/nope/health_check", {}),
        client.delete(f"{BASE}/nope"),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NOT_FOUND"


def test_scale_within_limits_and_outside(client: Client) -> None:
    post(client, BASE, SPEC_BODY)
    body = post(client, f"{BASE}/market_data_pool/scale", {"target_size": 30}).json()
    body.pop("timestamp")
    assert body == {
        "success": True,
        "message": "Pool 'market_data_pool' scaled from 10 to 30 connections",
        "previous_size": 10,
        "new_size": 30,
        "target_size": 30,
    }
    assert PoolConfig.objects.get().current_size == 30
    for bad in (4, 51):
        response = post(client, f"{BASE}/market_data_pool/scale", {"target_size": bad})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "INVALID_PARAMETER"
        assert "5..50" in response.json()["error"]["details"]
    assert PoolConfig.objects.get().current_size == 30
    response = post(client, f"{BASE}/market_data_pool/scale", {})
    assert response.json()["error"]["code"] == "INVALID_PARAMETER"


def test_nodes_are_added_and_removed(client: Client) -> None:
    post(client, BASE, SPEC_BODY)
    added = post(client, f"{BASE}/market_data_pool/nodes", {"host": "127.0.0.1", "port": 8002, "weight": 3})
    assert added.status_code == 201
    assert added.json()["server_nodes_count"] == 2
    assert post(client, f"{BASE}/market_data_pool/nodes", {"host": "127.0.0.1", "port": 8002}).status_code == 400
    assert ServerNode.objects.get(port=8002).weight == 3.0
    removed = client.delete(f"{BASE}/market_data_pool/nodes/localhost:8001")
    assert removed.status_code == 200
    assert removed.json()["server_nodes_count"] == 1
    assert list(ServerNode.objects.values_list("host", "port")) == [("127.0.0.1", 8002)]
    assert client.delete(f"{BASE}/market_data_pool/nodes/localhost:8001").json()["error"]["code"] == "NOT_FOUND"
    assert client.delete(f"{BASE}/market_data_pool/nodes/nonsense").json()["error"]["code"] == "INVALID_PARAMETER"


def test_delete_pool(client: Client) -> None:
    post(client, BASE, SPEC_BODY)
    response = client.delete(f"{BASE}/market_data_pool")
    assert response.status_code == 200
    assert not PoolConfig.objects.exists()
    assert not ServerNode.objects.exists()
    assert client.get(BASE).json()["total_pools"] == 0
