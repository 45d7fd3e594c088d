"""Production: the feed process records (under its lock), the web processes only read; a replay
over a web worker plays what the feed process recorded; SIGTERM of the feed closes its archive."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from marketdata import recorded
from tests.support.processes import Processes, free_port, production_env, running
from tests.ws.test_cross_process import ORIGIN, _trading_symbols

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("services")]


@pytest.fixture
def stack(transactional_db: None, reference_data: None, tmp_path: Path) -> Iterator[tuple[Processes, str, Path]]:
    archive = tmp_path / "archive"
    recorder = {
        "ARGUS_RECORDER_ENABLED": "true",
        "ARGUS_RECORDER_DIR": str(archive),
        "ARGUS_RECORDER_FLUSH_SECONDS": "0.5",
        "ARGUS_RECORDER_RETENTION_DAYS": "100000",
    }
    with running(tmp_path) as processes:
        port = free_port()
        web_env = production_env(ARGUS_PORT=str(port), **recorder)
        processes.start("web", "manage.py", "serve", "--workers", "2", env=web_env)
        processes.start("feed", "manage.py", "feed", env=production_env(**recorder))
        processes.wait_for_port("web", port)
        yield processes, f"ws://127.0.0.1:{port}/ws/market_data", archive


def _frames(ws: Any, until: Any, seconds: float) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            frames.append(json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic()))))
        except TimeoutError:
            break
        if until(frames):
            return frames
    raise AssertionError(f"not within {seconds} s: {frames[-5:]}")


def test_only_the_feed_process_records_and_a_web_worker_replays_it(stack: tuple[Processes, str, Path]) -> None:
    processes, url, archive = stack
    symbols = _trading_symbols(2)
    with connect(url, origin=ORIGIN, open_timeout=10) as ws:
        ws.send(json.dumps({"action": "subscribe", "symbols": symbols, "fields": ["price"]}))
        live = _frames(ws, lambda f: sum(x["type"] == "market_data" for x in f) >= 4, 60)
    pushes = [f["data"] for f in live if f["type"] == "market_data"]
    day = pushes[0]["trading_day"]
    time.sleep(1.5)  # past a flush
    writers = recorded.manifests(day, root=archive)
    assert [w["pid"] for w in writers] == [processes.started["feed"].pid]  # the web workers wrote nothing
    with connect(url, origin=ORIGIN, open_timeout=10) as ws:
        ws.send(json.dumps({"action": "subscribe", "symbols": symbols, "replay": {"date": day, "speed": "max"}}))
        frames = _frames(ws, lambda f: f and f[-1]["type"] == "status" and f[-1]["data"].get("replay") == "ended", 60)
    replayed = {
        (f["data"]["symbol"], f["data"]["seq"]): f["data"]["price"] for f in frames if f["type"] == "market_data"
    }
    for push in pushes:
        assert replayed[(push["symbol"], push["seq"])] == push["price"]
    assert processes.stop("feed") == 0
    (writer,) = recorded.manifests(day, root=archive)
    assert writer["closed"] is True  # a clean shutdown: everything flushed, and the archive says so
    on_disk = {(r["symbol"], r["seq"]) for s in symbols for r in recorded.read_ticks(day, s, root=archive)}
    assert {(p["symbol"], p["seq"]) for p in pushes} <= on_disk
