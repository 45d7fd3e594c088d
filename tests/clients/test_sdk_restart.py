"""The SDK's `subscribe()` across a restart of a real server process, with no gap.

Production settings (PostgreSQL, Redis): a `manage.py serve` process and a `manage.py feed` process.
An `argus_mcp` subscriber takes pushes, then the web process is stopped (SIGTERM) while the feed
goes on publishing, and started again on the same port. The SDK reconnects with `resume_from`: the
pushes published while the server was down are replayed from Redis, so each symbol's seqs run on
in one epoch, without a gap, a duplicate or a reset.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from argus_mcp import ArgusMCPClient
from argus_mcp.stream import Backoff

from streaming import get_store
from tests.support.processes import Processes, free_port, production_env, running
from tests.ws.test_cross_process import _trading_symbols

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("services")]

DOWN_SECONDS = 7.0  # the simulated market moves every 3 s: ticks are published meanwhile
PUSHES_BEFORE = 2  # per symbol, before the stop
PUSHES_AFTER = 4  # per symbol, after the restart


def _seqs(frames: list[dict[str, Any]], symbol: str) -> list[int]:
    seqs = [e["seq"] for f in frames if f["type"] == "snapshot" for e in f["data"] if e["symbol"] == symbol]
    return seqs + [f["data"]["seq"] for f in frames if f["type"] == "market_data" and f["data"]["symbol"] == symbol]


async def _until(messages: AsyncIterator[dict[str, Any]], frames: list[dict[str, Any]], done: Any) -> None:
    deadline = time.monotonic() + 60
    while not done():
        assert time.monotonic() < deadline, f"not enough pushes in 60 s: {[f['type'] for f in frames][-20:]}"
        frames.append(await asyncio.wait_for(anext(messages), 30))


def test_subscribe_survives_a_restart_of_the_server_process_without_a_gap(
    transactional_db: None, reference_data: None, tmp_path: Path
) -> None:
    symbols = _trading_symbols(2)
    port = free_port()
    web_env = production_env(ARGUS_PORT=str(port), ARGUS_LOG_LEVEL="WARNING")
    with running(tmp_path) as processes:
        processes.start("feed", "manage.py", "feed", env=production_env())
        _start_web(processes, port, web_env)

        async def main() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
            before: list[dict[str, Any]] = []
            after: list[dict[str, Any]] = []
            async with ArgusMCPClient(f"http://127.0.0.1:{port}", timeout=10) as client:
                # Retried every 0.2-1 s while the server is down; 60 attempts at most.
                policy = Backoff(initial=0.2, maximum=1.0, max_attempts=60)
                messages = client.subscribe(symbols, ["price"], reconnect=policy)
                await _until(messages, before, lambda: all(len(_seqs(before, s)) > PUSHES_BEFORE for s in symbols))
                await asyncio.to_thread(processes.stop, "web")
                await asyncio.sleep(DOWN_SECONDS)
                # What the feed numbered while nobody could be told (read from the same Redis).
                at_restart = {s: e.seq for s, e in (await get_store().latest(symbols)).items()}
                await asyncio.to_thread(_start_web, processes, port, web_env)
                await _until(messages, after, lambda: all(len(_seqs(after, s)) >= PUSHES_AFTER for s in symbols))
                await messages.aclose()
            return before, after, at_restart

        before, after, at_restart = asyncio.run(main())
    frames = before + after
    assert [f for f in frames if f["type"] == "reset"] == []
    # (an empty snapshot, before the feed's first poll, belongs to no epoch yet)
    assert len({f["epoch"] for f in frames if f["type"] in ("snapshot", "market_data") and f["data"]}) == 1
    for symbol in symbols:
        seqs = _seqs(frames, symbol)
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"{symbol}: a gap or a duplicate in {seqs}"
        # The feed published while the server was down: those pushes came after the restart, in
        # order, right after the last seq before it.
        assert at_restart[symbol] > _seqs(before, symbol)[-1], (symbol, at_restart, seqs)
        assert _seqs(after, symbol)[0] == _seqs(before, symbol)[-1] + 1
        assert at_restart[symbol] in _seqs(after, symbol)


def _start_web(processes: Processes, port: int, env: dict[str, str]) -> None:
    processes.start("web", "manage.py", "serve", "--workers", "1", env=env)
    processes.wait_for_port("web", port)
