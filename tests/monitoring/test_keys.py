"""API keys: scopes, revocation, production rules, hashing, last use, the admin, log redaction."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from core.errors import Forbidden, RateLimitExceeded, Unauthorized
from monitoring.models import ApiKey
from monitoring.services.apikeys import api_key_authenticate, api_key_from_scope, api_key_revoke

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def test_management_needs_a_key_with_that_scope_in_production(client: Client, production: None, make_key: Any) -> None:
    missing = client.delete("/api/v1/cache/clear")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "UNAUTHORIZED"
    assert "cache:manage" in missing.json()["error"]["details"]

    _, pools_only = make_key("pools:manage", name="pools-bot")
    wrong = client.delete("/api/v1/cache/clear", headers=bearer(pools_only))
    assert wrong.status_code == 403
    assert wrong.json()["error"] == {
        "code": "FORBIDDEN",
        "message": "禁止访问",
        "details": "API key 'pools-bot' lacks scope cache:manage (it has: pools:manage)",
    }
    assert client.post("/api/v1/connection_pool/pools", headers=bearer(pools_only)).status_code == 200

    _, cache_key = make_key("cache:manage", name="cache-bot")
    ok = client.delete("/api/v1/cache/clear", headers={"X-API-Key": cache_key})
    assert ok.status_code == 200
    assert ok.json()["data"] == {"key": "cache-bot"}


def test_reads_are_open_unless_required(client: Client, production: None, make_key: Any) -> None:
    assert client.get("/api/v1/market_data/latest").json()["data"] == {"key": None}
    assert client.get("/api/v1/cache/stats").status_code == 200
    settings.ARGUS_REQUIRE_API_KEY = True
    try:
        assert client.get("/api/v1/market_data/latest").status_code == 401
        _, reader = make_key("market_data:read", name="reader")
        assert client.get("/api/v1/market_data/latest", headers=bearer(reader)).json()["data"] == {"key": "reader"}
        assert client.get("/api/v1/market_data/history", headers=bearer(reader)).status_code == 200
        assert client.get("/api/v1/cache/stats", headers=bearer(reader)).status_code == 403
    finally:
        settings.ARGUS_REQUIRE_API_KEY = False


def test_development_mode_needs_no_key_but_checks_presented_ones(client: Client, routes: None, make_key: Any) -> None:
    assert client.delete("/api/v1/cache/clear").status_code == 200
    _, reader = make_key("market_data:read")
    assert client.delete("/api/v1/cache/clear", headers=bearer(reader)).status_code == 403
    assert client.get("/api/v1/market_data/latest", headers=bearer("ak_00000000_" + "x" * 43)).status_code == 401


def test_revoked_key_fails_at_once(client: Client, production: None, make_key: Any) -> None:
    key, raw = make_key("cache:manage")
    assert client.delete("/api/v1/cache/clear", headers=bearer(raw)).status_code == 200
    api_key_revoke(key)
    refused = client.delete("/api/v1/cache/clear", headers=bearer(raw))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "UNAUTHORIZED"
    assert api_key_authenticate(raw) is None


def test_keys_are_stored_hashed_and_last_use_is_recorded_cheaply(make_key: Any) -> None:
    key, raw = make_key("market_data:read")
    row = ApiKey.objects.get(pk=key.pk)
    assert raw.startswith(f"ak_{row.prefix}_")
    assert row.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiKey.objects.filter(pk=key.pk).values().get())
    assert row.last_used_at is None
    assert api_key_authenticate(raw) is not None
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first is not None
    api_key_authenticate(raw)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first  # within a minute: no write
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(minutes=2))
    api_key_authenticate(raw)
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first - timedelta(seconds=1)
    assert api_key_authenticate(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None


def test_websocket_handshake_key_extraction(make_key: Any) -> None:
    _, raw = make_key("market_data:read")
    scopes = [
        {"headers": [(b"authorization", f"Bearer {raw}".encode())], "query_string": b""},
        {"headers": [(b"x-api-key", raw.encode())], "query_string": b""},
        {"headers": [], "query_string": f"symbols=000001.SZ&api_key={raw}".encode()},
    ]
    for scope in scopes:
        found = api_key_from_scope(scope)
        assert found == raw
        assert api_key_authenticate(found) is not None
    assert api_key_from_scope({"headers": [], "query_string": b""}) is None


def test_admin_shows_the_key_once_and_revokes(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/monitoring/apikey/add/", {"name": "dashboard", "scopes": ["market_data:read"]}, follow=True
    )
    shown = [str(m) for m in response.context["messages"] if "ak_" in str(m)]
    assert len(shown) == 1
    raw = shown[0].split(": ", 1)[1].split(".", 1)[0]
    key = ApiKey.objects.get(name="dashboard")
    assert key.scopes == ["market_data:read"] and raw.startswith(f"ak_{key.prefix}_")
    assert api_key_authenticate(raw) == key
    listing = admin_client.get("/admin/monitoring/apikey/").content.decode()
    assert raw not in listing and key.prefix in listing
    admin_client.post("/admin/monitoring/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert api_key_authenticate(raw) is None


def test_logs_never_hold_keys(client: Client, routes: None, make_key: Any) -> None:
    key, raw = make_key("market_data:read")
    client.get(f"/api/v1/market_data/latest?api_key={raw}", headers={"X-API-Key": raw})
    client.get("/api/v1/market_data/latest", headers=bearer(raw))
    log_file = settings.ARGUS_LOG_DIR / "argus_mcp.log"
    text = log_file.read_text(encoding="utf-8")
    assert raw not in text
    lines = [line for line in text.splitlines() if "/api/v1/market_data/latest" in line and key.prefix in line]
    assert lines, "one access line per request"
    assert " 200 " in lines[-1] and "ms client=" in lines[-1]  # status and time on each access line


@pytest.mark.django_db(transaction=True)  # the edge checks keys in a worker thread
def test_websocket_handshake_follows_the_read_rules(settings: Any, make_key: Any, monkeypatch: Any) -> None:
    from monitoring import edge

    monkeypatch.setattr(edge, "_handshake_key_cache", [])  # the plain lookup, without the hub's cache
    settings.ARGUS_AUTH_MODE, settings.ARGUS_REQUIRE_API_KEY = "production", True
    scope: dict[str, Any] = {"type": "websocket", "path": "/ws/market_data", "headers": [], "query_string": b""}

    def decide(scope: dict[str, Any]) -> edge.EdgeDecision:
        return asyncio.run(edge.decide_handshake(scope, "10.1.1.1"))

    assert isinstance(decide(scope).refusal, Unauthorized)
    _, cache_only = make_key("cache:manage")
    assert isinstance(decide({**scope, "query_string": f"api_key={cache_only}".encode()}).refusal, Forbidden)
    reader, raw = make_key("market_data:read")
    admitted = decide({**scope, "headers": [(b"x-api-key", raw.encode())]})
    assert admitted.refusal is None and admitted.key_prefix == reader.prefix


@pytest.mark.django_db(transaction=True)
def test_mcp_is_decided_by_the_edge_with_keys_and_the_realtime_limit(
    settings: Any, spec_limits: Any, make_key: Any
) -> None:
    from monitoring import edge

    settings.ARGUS_AUTH_MODE, settings.ARGUS_REQUIRE_API_KEY = "production", True

    def decide(headers: list[tuple[bytes, bytes]]) -> edge.EdgeDecision:
        scope = {"type": "http", "method": "POST", "path": "/mcp", "headers": headers, "query_string": b""}
        return asyncio.run(edge.decide_http(scope, "10.2.2.2"))

    with pytest.raises(Unauthorized):
        decide([])
    key, raw = make_key("market_data:read")
    spec_limits["realtime"] = (2, 60.0)
    assert decide([(b"authorization", f"Bearer {raw}".encode())]).api_key == key
    decide([(b"x-api-key", raw.encode())])
    with pytest.raises(RateLimitExceeded) as refused:
        decide([(b"x-api-key", raw.encode())])
    assert refused.value.headers["X-RateLimit-Remaining"] == "0"
