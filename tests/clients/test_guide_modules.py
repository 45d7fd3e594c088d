"""The user guide's modules (argus_mcp.cache_optimizer, .dynamic_connection_pool, .monitor) do what
their names say, against a real server: each figure they return is the server's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from argus_mcp.cache_optimizer import CacheOptimizer
from argus_mcp.dynamic_connection_pool import ConnectionPoolManager, PoolConfiguration, ServerNode
from argus_mcp.exceptions import InvalidParameterError
from argus_mcp.monitor import ServiceMonitor, SystemMonitor

from tests.support.servers import argus_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_cache_optimizer_stats_clear_preload_ttl_cleanup_and_emergency(tmp_path: Path) -> None:
    async def main(base: str) -> dict[str, Any]:
        optimizer = CacheOptimizer(base)
        out: dict[str, Any] = {"before": await optimizer.get_cache_stats()}
        out["preload"] = await optimizer.preload_data(["000001.SZ", "600000.SH", "399001.SZ"])
        out["stats"] = await optimizer.get_cache_stats()
        out["ttl"] = await optimizer.update_ttl("market_data", 600)
        out["cleanup"] = await optimizer.cleanup_expired()
        out["clear"] = await optimizer.clear_cache("market_data")
        await optimizer.preload_data(["000001.SZ"])
        out["emergency"] = await optimizer.emergency_cleanup()
        with pytest.raises(InvalidParameterError) as caught:
            await optimizer.preload_data(["bogus"])
        out["bad"] = caught.value
        return out

    with argus_server(tmp_path, {}) as base:
        out = asyncio.run(main(base))
        config = httpx.get(f"{base}/api/v1/cache/config", timeout=10).json()["data"]
    assert out["before"]["cache_size"] == out["before"]["total_keys"]
    assert out["preload"]["loaded"] == {"LATEST_DATA": 3, "BASIC_INFO": 3, "HISTORY_DATA": 3}
    assert out["preload"]["unknown"] == []
    assert out["stats"]["cache_size"] >= out["before"]["cache_size"] + 3
    assert out["ttl"]["cache_rules"]["LATEST_DATA"]["ttl"] == 600
    assert config["cache_rules"]["LATEST_DATA"]["ttl"] == 600
    assert out["cleanup"]["cleared_keys"] == 0  # nothing has expired yet (TTLs of 300 s and more)
    assert out["clear"]["cleared_keys"] >= 3  # three quotes in L1 and L2 at least
    assert out["emergency"]["cleared_keys"] >= 1
    assert set(out["emergency"]["levels"]) == {"L1", "L2"}
    assert out["bad"].code == "INVALID_PARAMETER"


def test_pool_manager_creates_measures_and_health_checks_pools_and_the_monitors(tmp_path: Path) -> None:
    async def main(base: str) -> dict[str, Any]:
        manager = ConnectionPoolManager(base)
        port = int(base.rsplit(":", 1)[1])
        pool = await manager.create_pool(
            name="guide_pool",
            config=PoolConfiguration(min_size=1, max_size=4, auto_scale=True),
            server_nodes=[ServerNode("127.0.0.1", port)],
        )
        out: dict[str, Any] = {"created": pool.created}
        out["metrics"] = await asyncio.to_thread(pool.get_metrics)
        out["health"] = await manager.health_check_all()
        out["scaled"] = await pool.scale(2)
        out["system"] = await SystemMonitor(base).get_metrics()
        out["service"] = await ServiceMonitor(base).get_metrics()
        return out

    with argus_server(tmp_path, {}) as base:
        out = asyncio.run(main(base))
    assert out["created"]["pool_name"] == "guide_pool"
    assert out["created"]["config"] == {"min_size": 1, "max_size": 4, "auto_scale": True}
    assert 0 <= out["metrics"]["pool_utilization"] <= 1
    assert out["health"]["guide_pool"]["total_nodes"] == 1
    assert out["scaled"]["target_size"] == 2
    assert {"cpu_percent", "memory_percent", "network_io"} <= set(out["system"])
    assert out["service"]["qps"] == out["service"]["requests_per_second"]
    assert out["service"]["avg_response_time"] == out["service"]["avg_response_time_ms"]
