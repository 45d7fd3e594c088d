"""Security settings: check --deploy, headers, request size, CORS, WebSocket origins."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client

from monitoring.security import websocket_origin_validator
from tests.monitoring.conftest import ROOT

pytestmark = pytest.mark.django_db


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ARGUS_", "REDIS_", "DATABASE_URL"))}
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "argus_site.settings.base",
            "ARGUS_CONFIG_FILE": "/nonexistent",
            "DATABASE_URL": "postgres://argus@db.internal:5432/argus",
            "REDIS_URL": "redis://redis.internal:6379/0",
            "ARGUS_SECRET_KEY": secrets.token_urlsafe(50),
            "ARGUS_ALLOWED_HOSTS": "argus.example.com",
            "ARGUS_LOG_DIR": "-",
            **env,
        }
    )
    command = [sys.executable, "manage.py", "check", "--deploy"]
    return subprocess.run(command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_on_production_settings_behind_tls() -> None:
    result = _check_deploy({"ARGUS_TLS": "true", "ARGUS_HSTS_PRELOAD": "true"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The deploy checks (security.*) find nothing; drf-spectacular's schema warnings are another matter.
    assert "security." not in output, output
    assert "monitoring.authentication" not in output, output


def test_check_deploy_names_what_plain_http_lacks() -> None:
    result = _check_deploy({})
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_security_headers(client: Client) -> None:
    response = client.get("/health")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_request_size_is_limited(client: Client, routes: None, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    body = b"{" + b" " * 4096 + b"}"
    response = client.post("/api/v1/connection_pool/pools", data=body, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_PARAMETER"
    assert "limit is 2048" in error["details"]


def test_cors_allows_only_configured_origins(client: Client, routes: None, settings: Any) -> None:
    settings.ARGUS_CORS_ALLOWED_ORIGINS = ["https://app.example"]
    preflight = client.options(
        "/api/v1/market_data/latest",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://app.example"
    assert "X-API-Key" in preflight["Access-Control-Allow-Headers"]
    simple = client.get("/api/v1/market_data/latest", headers={"Origin": "https://app.example"})
    assert simple["Access-Control-Allow-Origin"] == "https://app.example"
    assert "X-RateLimit-Remaining" in simple["Access-Control-Expose-Headers"]
    foreign = client.get("/api/v1/market_data/latest", headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 200 and "Access-Control-Allow-Origin" not in foreign


async def _accept(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.accept"})


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [(None, True), (b"http://localhost:8001", True), (b"https://app.example", True), (b"https://evil.example", False)],
)
async def test_websocket_origins_follow_hosts_and_cors(settings: Any, origin: bytes | None, accepted: bool) -> None:
    settings.ARGUS_CORS_ALLOWED_ORIGINS = ["https://app.example"]
    settings.ALLOWED_HOSTS = ["localhost"]
    headers = [(b"origin", origin)] if origin else []
    communicator = WebsocketCommunicator(websocket_origin_validator(_accept), "/ws/market_data", headers=headers)
    connected, _ = await communicator.connect()
    assert connected is accepted
    await communicator.disconnect()
