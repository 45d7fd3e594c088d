"""uvicorn's own console lines (the WebSocket handshake line carries the query string) mask API keys."""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.monitoring.conftest import argus_server, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def _console(tmp_path: Path) -> str:
    return "".join(path.read_text(errors="replace") for path in tmp_path.glob("server-*.log"))


def test_websocket_handshake_line_masks_the_api_key(tmp_path: Path) -> None:
    secret = secrets.token_hex(16)
    raw = f"ak_deadbeef_{secret}"
    # INFO: uvicorn logs the handshake line ('"WebSocket /ws/market_data?api_key=..." [accepted]') at INFO.
    with argus_server(tmp_path, {"ARGUS_LOG_LEVEL": "INFO"}) as base:
        url = base.replace("http://", "ws://") + f"/ws/market_data?api_key={raw}"
        ws = connect(url, origin="http://localhost", open_timeout=10, close_timeout=5)
        with ws, contextlib.suppress(ConnectionClosed, TimeoutError):
            ws.recv(timeout=5)  # the refusal of the unknown key, or the first message
        wait_until(lambda: '"WebSocket /ws/market_data' in _console(tmp_path), 10, "the handshake line")
    console = _console(tmp_path)
    lines = [line for line in console.splitlines() if '"WebSocket /ws/market_data' in line]
    assert lines, console[-3000:]
    assert all("api_key=***" in line for line in lines), lines
    everything = "".join(path.read_text(errors="replace") for path in tmp_path.rglob("*.log"))
    assert secret not in everything
