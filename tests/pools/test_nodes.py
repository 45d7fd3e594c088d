"""Pools against two real Argus nodes: balancing, failover, health checks, scaling, measured metrics."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from core import clock
from pools.models import PoolConfig, ServerNode
from pools.services import pool_autoscale, pool_create, pool_health_check, pool_request
from pools.tasks import pools_health_check
from tests.pools.conftest import Node

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

BASE = "/api/v1/connection_pool/pools"


def make_pool(
    nodes: list[Node], *, strategy: str = "round_robin", weights: tuple[float, ...] = (), **config: Any
) -> str:
    name = f"test-{uuid.uuid4().hex[:8]}"
    settings_ = {
        "min_size": 1,
        "max_size": 8,
        "initial_size": 4,
        "timeout": 5.0,
        "max_idle_time": 30.0,
        "health_check_interval": 2.0,
        "auto_scale": True,
        "scale_factor": 2.0,
        "scale_threshold": 0.8,
        "load_balance_strategy": strategy,
        **config,
    }
    server_nodes = [
        {"host": "127.0.0.1", "port": n.port, "weight": weights[i] if weights else 1.0, "max_connections": 10}
        for i, n in enumerate(nodes)
    ]
    pool_create(name=name, config=settings_, server_nodes=server_nodes)
    return name


def in_thread(target: Any) -> threading.Thread:
    """A thread that closes its own database connection (it may reload the pool rows)."""

    def run() -> None:
        try:
            target()
        finally:
            connection.close()

    return threading.Thread(target=run)


def spread(name: str, count: int) -> Counter[str]:
    return Counter(pool_request(name=name, method="GET", path="/health").node for _ in range(count))


@pytest.mark.parametrize(
    ("strategy", "weights", "expected_first_share", "tolerance"),
    [
        ("round_robin", (), 0.5, 0.0),
        ("least_connections", (), 0.5, 0.0),  # sequential requests tie, ties go round robin
        ("weighted_round_robin", (3.0, 1.0), 0.75, 0.0),
        ("random", (), 0.5, 0.15),
    ],
)
def test_strategy_distribution(
    two_nodes: list[Node], strategy: str, weights: tuple[float, ...], expected_first_share: float, tolerance: float
) -> None:
    name = make_pool(two_nodes, strategy=strategy, weights=weights)
    counts = spread(name, 200)
    assert sum(counts.values()) == 200
    assert set(counts) <= {n.address for n in two_nodes}
    share = counts[two_nodes[0].address] / 200
    assert abs(share - expected_first_share) <= tolerance, counts


@pytest.mark.django_db(transaction=True)
def test_least_connections_prefers_the_idle_node(two_nodes: list[Node]) -> None:
    """Under concurrency the node with fewer requests in flight is chosen."""
    name = make_pool(two_nodes, strategy="least_connections", initial_size=8)
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(25):
            node = pool_request(name=name, method="GET", path="/health").node
            with lock:
                counts[node] += 1

    threads = [in_thread(worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(counts.values()) == 100
    assert all(30 <= counts[n.address] <= 70 for n in two_nodes), counts


@pytest.mark.django_db(transaction=True)
def test_failover_health_check_and_return(two_nodes: list[Node]) -> None:
    first, second = two_nodes
    name = make_pool(two_nodes)
    results: list[str] = []
    errors: list[Exception] = []
    stop = threading.Event()

    def stream() -> None:
        while not stop.is_set():
            try:
                results.append(pool_request(name=name, method="GET", path="/health").node)
            except Exception as exc:
                errors.append(exc)

    thread = in_thread(stream)
    thread.start()
    try:
        time.sleep(0.5)
        second.stop()
        before = len(results)
        while len(results) < before + 30:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(30)
    assert errors == []
    assert set(results[before + 5 :]) == {first.address}

    nodes = {n.port: n for n in pool_health_check(name=name)}
    assert nodes[first.port].healthy and not nodes[second.port].healthy
    assert nodes[second.port].last_error
    assert spread(name, 10) == Counter({first.address: 10})

    second.start()
    nodes = {n.port: n for n in pool_health_check(name=name)}
    assert nodes[second.port].healthy
    assert spread(name, 10) == Counter({first.address: 5, second.address: 5})


def test_health_check_api_and_task_mark_a_dead_node(
    two_nodes: list[Node], reference_data: None, client: Client, market_clock: Any
) -> None:
    from tests.pools.conftest import free_port

    # The one clock stands still, so "not due yet" does not depend on how fast this machine is today.
    frozen = market_clock(clock.now())
    name = make_pool(two_nodes)
    dead_port = free_port()
    ServerNode.objects.create(pool=PoolConfig.objects.get(name=name), host="127.0.0.1", port=dead_port)
    body = client.post(f"{BASE}/{name}/health_check", content_type="application/json").json()
    assert body["message"] == f"Health check completed for pool '{name}'"
    assert (body["total_nodes"], body["healthy_nodes"], body["unhealthy_nodes"]) == (3, 2, 1)
    details = {d["port"]: d for d in body["node_details"]}
    assert details[dead_port]["health_status"] is False
    assert "ConnectError" in details[dead_port]["error"]
    assert details[two_nodes[0].port]["health_status"] is True
    assert details[two_nodes[0].port]["last_health_check"].endswith("Z")
    # Traffic avoids the dead node.
    assert set(spread(name, 12)) == {n.address for n in two_nodes}
    # The periodic task probes pools whose interval passed; a fresh check is not due yet.
    checked = PoolConfig.objects.get(name=name).last_health_check
    pools_health_check()
    assert PoolConfig.objects.get(name=name).last_health_check == checked
    frozen.advance(2.0)  # the pool's health_check_interval: now it is due
    pools_health_check()
    assert PoolConfig.objects.get(name=name).last_health_check == checked + timedelta(seconds=2)


def test_request_fails_with_what_was_tried(reference_data: None) -> None:
    from tests.pools.conftest import free_port

    ports = [free_port(), free_port()]
    name = make_pool([Node(__import__("pathlib").Path("/nonexistent"), p) for p in ports])
    from pools.runtime import PoolUnavailable

    with pytest.raises(PoolUnavailable) as caught:
        pool_request(name=name, method="GET", path="/health")
    assert caught.value.error_code == "SERVICE_UNAVAILABLE"
    for port in ports:
        assert f"127.0.0.1:{port}" in caught.value.details


def test_metrics_are_measured(two_nodes: list[Node], client: Client) -> None:
    name = make_pool(two_nodes)
    spread(name, 20)
    detail = client.get(f"{BASE}/{name}").json()
    metrics = detail["metrics"]
    assert metrics["active_connections"] == 0
    assert 1 <= metrics["idle_connections"] <= 2  # one keep-alive connection per node, reused
    assert metrics["total_connections"] == metrics["idle_connections"]
    assert metrics["error_rate"] == 0.0
    assert metrics["avg_response_time"] > 0
    assert metrics["throughput"] > 0
    assert metrics["last_update"].endswith("Z")
    assert {n["port"] for n in metrics["server_nodes"]} == {n.port for n in two_nodes}
    assert all(n["response_time"] > 0 for n in metrics["server_nodes"])
    listing = {p["name"]: p for p in client.get(BASE).json()["pools"]}
    assert listing[name]["total_connections"] == metrics["total_connections"]


@pytest.mark.django_db(transaction=True)
def test_auto_scale_grows_under_load_and_shrinks_when_idle(
    two_nodes: list[Node], caplog: pytest.LogCaptureFixture
) -> None:
    name = make_pool(two_nodes, initial_size=2, min_size=1, max_size=8, health_check_interval=2.0)
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            pool_request(name=name, method="GET", path="/health")

    threads = [in_thread(load) for _ in range(6)]
    for t in threads:
        t.start()
    try:
        time.sleep(2.5)  # six callers on two connections: every connection busy the whole time
        with caplog.at_level(logging.INFO, logger="argus.pools"):
            grown = pool_autoscale(name=name)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert grown is not None and (grown.previous_size, grown.new_size) == (2, 4)
    assert PoolConfig.objects.get(name=name).current_size == 4
    assert any("scaled from 2 to 4" in r.getMessage() for r in caplog.records)

    time.sleep(3.5)  # idle for longer than the measurement window
    shrunk = pool_autoscale(name=name)
    assert shrunk is not None and (shrunk.previous_size, shrunk.new_size) == (4, 2)
    assert PoolConfig.objects.get(name=name).current_size == 2
