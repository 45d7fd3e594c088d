"""The `upstream` source through the real loader, against two real nodes."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator

import pytest

from marketdata.sources import load_source
from marketdata.sources.base import SourceTimeout, SourceUnavailable
from pools.services import pool_create
from tests.pools.conftest import Node

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_upstream_health_goes_through_the_pool(two_nodes: list[Node]) -> None:
    name = f"up-{uuid.uuid4().hex[:8]}"
    pool_create(
        name=name,
        config={
            "min_size": 1,
            "max_size": 4,
            "initial_size": 2,
            "timeout": 5.0,
            "max_idle_time": 30.0,
            "health_check_interval": 60.0,
            "auto_scale": False,
            "scale_factor": 1.5,
            "scale_threshold": 0.8,
            "load_balance_strategy": "round_robin",
        },
        server_nodes=[{"host": "127.0.0.1", "port": n.port, "weight": 1.0, "max_connections": 4} for n in two_nodes],
    )
    source = load_source({"BACKEND": "upstream", "OPTIONS": {"pool": name}})
    checks = [source.health() for _ in range(4)]
    assert all(check.ok for check in checks)
    assert {check.extra["node"] for check in checks} == {n.address for n in two_nodes}
    assert all("source=healthy" in check.detail for check in checks)


def test_upstream_without_its_pool_says_so() -> None:
    source = load_source({"BACKEND": "upstream", "OPTIONS": {"pool": "missing"}})
    health = source.health()
    assert not health.ok
    assert "connection pool 'missing' does not exist" in health.detail
    with pytest.raises(SourceUnavailable, match="does not exist"):
        source.latest_ticks(["000001.SZ"])


@pytest.fixture
def silent_node() -> Iterator[int]:
    """A node that accepts connections (the kernel's backlog) and never answers: a hung process."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_a_hung_node_is_a_504_timeout_within_the_pool_deadline(silent_node: int) -> None:
    name = f"up-{uuid.uuid4().hex[:8]}"
    pool_create(
        name=name,
        config={
            "min_size": 1,
            "max_size": 2,
            "initial_size": 1,
            "timeout": 0.3,
            "max_idle_time": 30.0,
            "health_check_interval": 60.0,
            "auto_scale": False,
            "scale_factor": 1.5,
            "scale_threshold": 0.8,
            "load_balance_strategy": "round_robin",
        },
        server_nodes=[{"host": "127.0.0.1", "port": silent_node, "weight": 1.0, "max_connections": 4}],
    )
    source = load_source({"BACKEND": "upstream", "OPTIONS": {"pool": name}})
    started = time.monotonic()
    with pytest.raises(SourceTimeout, match="deadline") as raised:
        source.latest_ticks(["000001.SZ"])
    assert time.monotonic() - started < 2.0
    assert raised.value.error_code == "TIMEOUT" and raised.value.http_status == 504
