"""A simulated session recorded through the real feed of a real server, read back over REST, MCP and a
replay subscription tick by tick; then the server is SIGKILLed and loses at most one flush interval.

The server is `manage.py serve` (the embedded default: its feed runs in the server) on the simulated
source's replay clock, so a session trades at any hour; the recorder flushes every FLUSH seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argus_mcp import ArgusClient, Backoff
from mcp import Client

from marketdata import recorded
from mcpserver.server import build_server
from tests.support.databases import database_url
from tests.support.net import free_port
from tests.support.paths import ROOT
from tests.support.processes import clean_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SYMBOLS = ["000001.SZ", "600000.SH", "000002.SZ", "000858.SZ", "600519.SH"]
FLUSH = 1.0


@pytest.fixture
def server(tmp_path: Path, reference_data: None, settings: Any) -> Iterator[tuple[str, subprocess.Popen[bytes], Path]]:
    port = free_port()
    archive = tmp_path / "archive"
    env = clean_env()
    env.update(
        DJANGO_SETTINGS_MODULE="argus_site.settings.test",
        ARGUS_TEST_SERVICES="0",
        ARGUS_HOST="127.0.0.1",
        ARGUS_PORT=str(port),
        ARGUS_LOG_DIR=str(tmp_path / "logs"),
        ARGUS_LOG_LEVEL="WARNING",
        DATABASE_URL=database_url(),
        ARGUS_EMBEDDED_JOBS="true",
        ARGUS_FEED_INTERVAL="0.5",
        ARGUS_SIM_CLOCK="replay",
        ARGUS_RECORDER_ENABLED="true",
        ARGUS_RECORDER_DIR=str(archive),
        ARGUS_RECORDER_FLUSH_SECONDS=str(FLUSH),
        ARGUS_RECORDER_RETENTION_DAYS="100000",
    )
    settings.ARGUS_RECORDER_DIR = str(archive)  # this process reads the same archive (MCP, the ledger)
    with (tmp_path / "server.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=2).status_code in (200, 503):
                    break
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.2)
        yield base, process, archive
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


class Live:
    """A live SDK subscription in a thread: every push with the moment it arrived."""

    def __init__(self, base: str) -> None:
        self.pushes: list[tuple[float, dict[str, Any]]] = []
        self.done = threading.Event()
        self.messages: list[dict[str, Any]] = []  # every other message (acks, errors), for failures
        self.error: BaseException | None = None
        self.client = ArgusClient(base)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for message in self.client.subscribe(SYMBOLS, reconnect=Backoff(max_attempts=0)):
                if message["type"] == "market_data":
                    self.pushes.append((time.monotonic(), message["data"]))
                else:
                    self.messages.append(message)
        except Exception as exc:  # the SIGKILL ends it
            self.error = exc
        self.done.set()

    def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.pushes) < count:
            assert time.monotonic() < deadline, (len(self.pushes), timeout, self.messages[-5:], self.error)
            time.sleep(0.1)


def _exchange_clock(timestamp: str, seconds: float = 0.0) -> str:
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00")).astimezone(UTC) + timedelta(seconds=seconds)
    return (moment + timedelta(hours=8)).strftime("%H:%M:%S")


def _rest_rows(base: str, day: str, end_time: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"symbols": ",".join(SYMBOLS), "date": day, "end_time": end_time, "limit": 50}
        body = httpx.get(
            f"{base}/api/v1/market_data/recorded_ticks", params={**params, **({"cursor": cursor} if cursor else {})}
        ).json()
        assert body["success"] is True, body
        assert body["source"]["recorded"] is True and body["source"]["simulated"] is True
        rows += [row for symbol_rows in body["data"].values() for row in symbol_rows]
        cursor = body["paging"]["next_cursor"]
        if cursor is None:
            return rows


def _mcp_rows(day: str, end_time: str) -> list[dict[str, Any]]:
    async def main() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        arguments: dict[str, Any] = {"symbols": SYMBOLS, "date": day, "end_time": end_time, "max_rows": 40}
        async with Client(build_server()) as client:
            while True:
                result = await client.call_tool("get_recorded_ticks", arguments)
                assert not result.is_error, result
                page = result.structured_content
                rows += [row for symbol_rows in page["data"].values() for row in symbol_rows]
                if page["paging"]["next_cursor"] is None:
                    return rows
                arguments = {**arguments, "cursor": page["paging"]["next_cursor"]}

    return asyncio.run(main())


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["symbol"], row["seq"], row["price"], row["volume"], row["turnover"], row["timestamp"])


def test_a_recorded_session_reads_back_identically_and_a_sigkill_loses_at_most_one_flush(
    server: tuple[str, subprocess.Popen[bytes], Path],
) -> None:
    base, process, archive = server
    live = Live(base)
    live.wait_for(25, timeout=60)
    day = live.pushes[0][1]["trading_day"]
    # A window that ended well before the last flush: every one of its ticks is on disk.
    end_time = _exchange_clock(live.pushes[-1][1]["timestamp"], -1)
    time.sleep(FLUSH + 1)
    rest = _rest_rows(base, day, end_time)
    by_symbol: dict[str, list[int]] = {}
    for row in rest:
        by_symbol.setdefault(row["symbol"], []).append(row["seq"])
    for seqs in by_symbol.values():
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # contiguous: no tick missing, none twice
    recorded_keys = {(r["symbol"], r["seq"]): _key(r) for r in rest}
    seen_live = [data for _, data in live.pushes if (data["symbol"], data["seq"]) in recorded_keys]
    assert len(seen_live) >= 10
    for data in seen_live:  # what subscribers saw live is what was recorded
        assert recorded_keys[(data["symbol"], data["seq"])] == _key(data)

    assert [_key(r) for r in _mcp_rows(day, end_time)] == [_key(r) for r in rest]

    replayed: list[dict[str, Any]] = []
    ended: dict[str, Any] = {}
    for message in ArgusClient(base).subscribe(SYMBOLS, replay={"date": day, "speed": "max"}):
        assert message.get("replay") is True, message
        if message["type"] == "market_data":
            replayed.append(message["data"])
        elif message["type"] == "status" and message["data"].get("replay") == "ended":
            ended = message["data"]
    window = [r for r in replayed if (r["symbol"], r["seq"]) in recorded_keys]  # later ticks came meanwhile
    for symbol in SYMBOLS:
        assert [_key(r) for r in window if r["symbol"] == symbol] == [_key(r) for r in rest if r["symbol"] == symbol]
    assert ended["ticks_sent"] == len(replayed) >= len(rest)

    # 10x from a point in the window: paced pushes of the same ticks.
    start = _exchange_clock(rest[len(rest) // 2]["timestamp"])
    paced: list[dict[str, Any]] = []
    started = time.monotonic()
    for message in ArgusClient(base).subscribe(SYMBOLS, replay={"date": day, "speed": 10, "from": start}):
        if message["type"] == "market_data":
            paced.append(message["data"])
            if len(paced) >= 5:
                break
    assert time.monotonic() - started < 30 and all(p["replay"] is True for p in paced)
    assert all(_exchange_clock(p["timestamp"]) >= start for p in paced)

    # SIGKILL mid-session: at most the last flush interval of what subscribers saw is lost.
    live.wait_for(len(live.pushes) + 5, timeout=60)
    killed_at = time.monotonic()
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)
    live.done.wait(15)
    on_disk = {
        (row["symbol"], row["seq"]) for symbol in SYMBOLS for row in recorded.read_ticks(day, symbol, root=archive)
    }
    lost = [(at, data) for at, data in live.pushes if (data["symbol"], data["seq"]) not in on_disk]
    assert all(at > killed_at - FLUSH - 1.0 for at, _ in lost), (killed_at, lost)
    writers = recorded.manifests(day, root=archive)
    assert len(writers) == 1 and writers[0]["closed"] is False
    # The ledger says where the recording ends: the minutes after its last flush are not recorded.
    from marketdata.selectors.coverage import symbol_ledger

    through = datetime.fromisoformat(writers[0]["recorded_through"])
    ledger, _ = symbol_ledger(through.date(), SYMBOLS[0], writers)
    after = recorded.minute_index(through) + 1
    if after < 240 and after != 120:  # (a kill in a session's last minute leaves no minute after it)
        label = recorded.minute_label(after)
        gap = next(g for g in ledger["gaps"] if g["from"] <= label < g["to"])
        assert gap["reason"] == "not_recorded", ledger["gaps"]
