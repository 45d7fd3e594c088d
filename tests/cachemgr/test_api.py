"""The cache management API (缓存管理 API) against a known sequence of reads."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from cachemgr.keys import history_key, latest_quote_key
from cachemgr.models import CacheRule
from cachemgr.services import cache_fetch, state

pytestmark = pytest.mark.django_db

HISTORY = history_key("000001.SZ", "1d", "2024-01-01", "2024-01-31")


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def _known_sequence() -> None:
    """5 reads: LATEST miss, L1 hit, L1 hit; HISTORY miss, L2 hit."""
    for _ in range(3):
        cache_fetch("LATEST_DATA", latest_quote_key("000001.SZ"), lambda: {"price": 10.0})
    for _ in range(2):
        cache_fetch("HISTORY_DATA", HISTORY, lambda: [{"close": 10.0}] * 20)


def test_stats_are_measured_from_a_known_sequence(api: APIClient) -> None:
    _known_sequence()
    body = api.get("/api/v1/cache/stats").json()
    data = body["data"]
    assert body["success"] is True
    assert data["hit_rate"] == 0.6 and data["miss_rate"] == 0.4
    levels = data["cache_levels"]
    assert levels["L1"]["keys"] == 1 and levels["L1"]["hit_rate"] == round(2 / 3, 4)
    # L2 was asked on the LATEST miss and twice for HISTORY, and answered once.
    assert levels["L2"]["keys"] == 2 and levels["L2"]["hit_rate"] == round(1 / 3, 4)
    assert levels["L3"] == {"keys": 0, "hit_rate": None, "memory_mb": 0.0}
    assert data["total_keys"] == 3
    assert levels["L1"]["memory_mb"] > 0 and levels["L2"]["memory_mb"] > 0
    assert data["memory_usage_mb"] == pytest.approx(levels["L1"]["memory_mb"] + levels["L2"]["memory_mb"], abs=1e-3)


def test_stats_before_any_read_say_null_rates(api: APIClient) -> None:
    data = api.get("/api/v1/cache/stats").json()["data"]
    assert data["hit_rate"] is None and data["total_keys"] == 0


def test_clear_exactly_one_type_and_level(api: APIClient) -> None:
    _known_sequence()
    body = api.delete("/api/v1/cache/clear?cache_type=market_data&level=L1").json()
    assert set(body) == {"success", "message", "cleared_keys", "freed_memory_mb", "timestamp"}
    assert body["cleared_keys"] == 1 and body["freed_memory_mb"] > 0
    levels = api.get("/api/v1/cache/stats").json()["data"]["cache_levels"]
    assert levels["L1"]["keys"] == 0 and levels["L2"]["keys"] == 2

    body = api.delete("/api/v1/cache/clear?cache_type=all").json()
    assert body["cleared_keys"] == 2
    assert api.get("/api/v1/cache/stats").json()["data"]["total_keys"] == 0


@pytest.mark.parametrize("query", ["cache_type=quotes", "level=L4"])
def test_clear_rejects_unknown_values(api: APIClient, query: str) -> None:
    response = api.delete(f"/api/v1/cache/clear?{query}")
    body = response.json()
    assert response.status_code == 400
    assert body["error"]["code"] == "INVALID_PARAMETER" and "must be one of" in body["error"]["details"]


def test_config_is_the_spec_rules(api: APIClient) -> None:
    rules = api.get("/api/v1/cache/config").json()["data"]["cache_rules"]
    spec = {
        "LATEST_DATA": {"ttl": 30, "max_size": 1000, "level": "L1", "priority": "high"},
        "HISTORY_DATA": {"ttl": 300, "max_size": 5000, "level": "L2", "priority": "medium"},
        "BASIC_INFO": {"ttl": 3600, "max_size": 2000, "level": "L3", "priority": "low"},
    }
    assert {name: {k: rule[k] for k in spec[name]} for name, rule in rules.items()} == spec


def test_config_update_is_validated_and_applied(api: APIClient) -> None:
    response = api.patch("/api/v1/cache/config", {"cache_rules": {"LATEST_DATA": {"ttl": 45}}}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["cache_rules"]["LATEST_DATA"]["ttl"] == 45
    assert CacheRule.objects.get(name="LATEST_DATA").ttl == 45

    bad: list[tuple[dict[str, Any], str]] = [
        ({"LATEST_DATA": {"ttl": 0}}, "ttl must be > 0"),
        ({"LATEST_DATA": {"level": "L9"}}, "level must be one of"),
        ({"HISTORY_DATA": {"max_size": 0}}, "max_size must be between"),
        ({"LATEST_DATA": {"ttl": "soon"}}, "must be an integer"),
        ({"NOPE": {"ttl": 5}}, "unknown cache rule"),
        ({"LATEST_DATA": {"colour": "red"}}, "unknown fields"),
    ]
    for rules, details in bad:
        response = api.patch("/api/v1/cache/config", {"cache_rules": rules}, format="json")
        assert response.status_code == 400, rules
        assert response.json()["error"]["code"] == "INVALID_PARAMETER"
        assert details in response.json()["error"]["details"]
    assert CacheRule.objects.get(name="LATEST_DATA").ttl == 45

    response = api.put("/api/v1/cache/config", {"cache_rules": {"BASIC_INFO": {"ttl": 7200}}}, format="json")
    assert response.status_code == 400 and "PUT needs" in response.json()["error"]["details"]


def test_optimize_acts_on_measured_data(api: APIClient, settings: Any) -> None:
    # HISTORY_DATA: 60 reads of 60 different keys, all misses, never rewritten -> TTL raised 300 -> 450.
    for index in range(60):
        cache_fetch("HISTORY_DATA", history_key(f"{index:06d}.SZ", "1d", "a", "b"), lambda: [1])
    # An L1 entry nobody reads any more is cold.
    cache_fetch("LATEST_DATA", latest_quote_key("000001.SZ"), lambda: {"price": 1})
    state.l1.get("LATEST_DATA", latest_quote_key("000001.SZ")).last_read -= settings.ARGUS_CACHE_COLD_SECONDS + 1  # type: ignore[union-attr]

    body = api.post("/api/v1/cache/optimize").json()
    assert body["success"] is True and body["message"] == "缓存优化完成"
    assert any("HISTORY_DATA 的 TTL 从 300s 到 450s" in change for change in body["optimizations"])
    assert any("1 个冷键" in change for change in body["optimizations"])
    improvement = body["performance_improvement"]
    assert improvement["hit_rate_before"] == 0.0 and improvement["hit_rate_after"] is None
    assert improvement["memory_saved_mb"] > 0
    assert CacheRule.objects.get(name="HISTORY_DATA").ttl == 450
    assert state.l1.figures()["keys"] == 0

    # A second run only looks at the window since the first: nothing new was read, nothing changes.
    again = api.post("/api/v1/cache/optimize").json()
    assert again["optimizations"] == [] and again["performance_improvement"]["window_seconds"] is not None


def test_optimize_task_runs_the_same_pass() -> None:
    from cachemgr.tasks import cache_optimize

    assert cache_optimize() == []
