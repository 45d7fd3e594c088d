"""Foreseeable bad requests answer the spec's JSON envelope with the right code, never HTML or a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import websockets.sync.client as ws_client
from django.test import Client, RequestFactory

from core.errors import csrf_failure
from core.parsers import MAX_DEPTH, json_depth
from tests.support.servers import uvicorn_thread

MONITORING_PATHS = ["/health", "/metrics", "/api/v1/metrics/system", "/api/v1/metrics/service"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", MONITORING_PATHS)
@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_monitoring_endpoints_answer_405_in_json_to_other_methods(path: str, method: str) -> None:
    client = Client(enforce_csrf_checks=True)  # as a browser or curl without a token would
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response["Allow"] == "GET"
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert f"{method.upper()} is not allowed here; use GET" == body["error"]["details"]


@pytest.mark.django_db
def test_json_nested_too_deep_is_invalid_parameter() -> None:
    body = "[" * 100_000 + "]" * 100_000
    response = Client().post("/api/v1/connection_pool/pools", data=body, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_PARAMETER"
    assert f"nested more than {MAX_DEPTH} levels" in error["details"]


def test_json_depth_skips_strings_and_escapes() -> None:
    assert json_depth(b'{"a": [1, {"b": "[[[[\\"]]"}]}') == 3
    assert json_depth(b'"[[["') == 0
    assert json_depth(b"[" * (MAX_DEPTH + 5)) == MAX_DEPTH + 1  # stops counting once past the bound


def test_csrf_failure_is_json_outside_the_admin() -> None:
    factory = RequestFactory()
    api = csrf_failure(factory.post("/api/v1/cache/optimize"), reason="CSRF cookie not set.")
    assert api.status_code == 403 and api["Content-Type"] == "application/json"
    assert json.loads(api.content)["error"]["code"] == "FORBIDDEN"
    admin = csrf_failure(factory.post("/admin/login/"), reason="CSRF cookie not set.")
    assert admin.status_code == 403 and b"<html" in admin.content.lower()


@pytest.fixture
def ws_server(transactional_db: None) -> Any:
    with uvicorn_thread(ws_per_message_deflate=False) as port:
        yield port


@pytest.mark.parametrize("path", ["/ws/other", "/ws/market_data/", "/ws"])
def test_websocket_on_an_unknown_path_is_refused_with_404(ws_server: int, path: str) -> None:
    with pytest.raises(ws_client.InvalidStatus) as refused:
        ws_client.connect(f"ws://127.0.0.1:{ws_server}{path}", origin="http://localhost", open_timeout=10)
    response = refused.value.response
    assert response.status_code == 404
    error = json.loads(response.body)["error"]
    assert error["code"] == "NOT_FOUND" and "/ws/market_data" in error["details"]
    # The server goes on serving the real path.
    with ws_client.connect(f"ws://127.0.0.1:{ws_server}/ws/market_data", origin="http://localhost") as ws:
        ws.send(json.dumps({"action": "ping"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "pong"
    assert httpx.get(f"http://127.0.0.1:{ws_server}/health", timeout=10).status_code in (200, 503)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/connection_pool/pools/a%00b", "/api/v1/market_data/latest?symbols=000001.SZ%00", "/health?x=%00"]
)
def test_a_nul_byte_in_path_or_query_is_invalid_parameter(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_PARAMETER" and "NUL" in error["details"]


@pytest.mark.django_db
def test_a_nul_byte_in_a_json_body_is_invalid_parameter() -> None:
    body = {"name": "pool\u0000x", "nodes": [{"host": "127.0.0.1", "port": 9}]}
    response = Client().post("/api/v1/connection_pool/pools", data=body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "INVALID_PARAMETER"


def _chunks(total: int, size: int = 65536) -> Any:
    sent = 0
    while sent < total:
        yield b"x" * size
        sent += size


def test_request_bodies_are_bounded_before_anything_reads_them(ws_server: int, settings: Any) -> None:
    """A chunked body (no Content-Length) was once read and spooled in full: a 2 GB POST went to disk."""
    import time

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # ARGUS_MAX_REQUEST_BYTES, 1 MiB by default
    url = f"http://127.0.0.1:{ws_server}/api/v1/cache/optimize"
    sent = {"bytes": 0}

    def endless() -> Any:  # 256 MiB offered; the server must stop long before
        for chunk in _chunks(256 * 1024 * 1024):
            sent["bytes"] += len(chunk)
            yield chunk

    started = time.monotonic()
    try:
        response = httpx.post(url, content=endless(), headers={"Content-Type": "application/json"}, timeout=30)
    except httpx.HTTPError:  # the server closed while we were still sending: refused as well
        response = None
    assert time.monotonic() - started < 20
    assert sent["bytes"] < 64 * 1024 * 1024, sent  # it stopped reading near the limit, not at the end
    if response is not None:
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "INVALID_PARAMETER"
        assert f"at most {limit} bytes" in response.json()["error"]["details"]

    declared = httpx.post(url, content=b"x" * (limit + 1), headers={"Content-Type": "application/json"}, timeout=30)
    assert declared.status_code == 413 and "Content-Length" in declared.json()["error"]["details"]

    # Within the limit, a chunked body reaches the view whole.
    small = httpx.post(url, content=iter([b"{", b"}"]), headers={"Content-Type": "application/json"}, timeout=30)
    assert small.status_code == 200, small.text
    assert httpx.get(f"http://127.0.0.1:{ws_server}/health", timeout=10).status_code == 200


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_request_heads_are_bounded_by_the_served_protocol(tmp_path: Any) -> None:
    """httptools alone accepted a 10 MB header; `serve` answers 431 in the envelope past ARGUS_MAX_HEADER_BYTES."""
    import socket

    from tests.support.servers import argus_server

    with argus_server(tmp_path, {"ARGUS_MAX_HEADER_BYTES": "8192"}) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            # 20 KB of a header that never ends: the server must not wait for (or keep) the rest.
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 431"), answer[:200]
        error = json.loads(body)["error"]
        assert error["code"] == "INVALID_PARAMETER" and "more than 8192 bytes" in error["details"]
        # A normal request (an API key header and cookies included) still passes, and the server serves on.
        ok = httpx.get(f"{base}/health", headers={"X-Api-Key": "k" * 60, "Cookie": "c=" + "v" * 2000}, timeout=10)
        assert ok.status_code == 200
