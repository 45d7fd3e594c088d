"""Several real processes behave as one: two web processes and a separate feed process share Redis.

Two `manage.py serve --workers 1` on their own ports and a feed process (a Celery worker with its
embedded beat, or `manage.py feed`), all on the production settings. A WebSocket client on each web
process receives the ticks the feed process ingests, with contiguous seq, and get_stats on either
adds up both processes' connections and subscriptions.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from marketdata.sources import load_source
from marketdata.sources.base import TickStatus
from streaming import get_store
from streaming.services.feed import LOCK
from tests.support.processes import Processes, free_port, production_env, running

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("services", "stream")]

ORIGIN = "http://localhost"
PUSHES = 2  # market_data pushes each client must see per symbol


class Client:
    """A real WebSocket client that keeps every push it receives while it waits for other answers."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seqs: dict[str, list[int]] = {}

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next message (None after `timeout` s of silence), its push recorded."""
        try:
            message: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
        except TimeoutError:
            return None
        if message["type"] == "market_data":
            data = message["data"]
            self.seqs.setdefault(data["symbol"], []).append(data["seq"])
        return message

    def next(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next message of `kind`; the pushes that arrive before it are recorded."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {kind} message in {timeout} s"
            message = self.receive(remaining)
            if message is not None and message["type"] == kind:
                return message

    def subscribe(self, symbols: list[str]) -> None:
        self.ws.send(json.dumps({"action": "subscribe", "symbols": symbols, "fields": ["price"]}))
        self.next("subscribed")
        for entry in self.next("snapshot")["data"]:
            self.seqs.setdefault(entry["symbol"], []).append(entry["seq"])

    def stats(self, expected: dict[str, int], timeout: float = 10.0) -> dict[str, Any]:
        """get_stats until it shows `expected` (other processes report every 2 s) or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while True:
            self.ws.send(json.dumps({"action": "get_stats"}))
            stats: dict[str, Any] = self.next("stats")["data"]
            if {k: stats[k] for k in expected} == expected or time.monotonic() > deadline:
                return stats
            self.receive(0.5)

    def pushes_for(self, symbols: list[str], timeout: float) -> None:
        """Read until every symbol has had PUSHES pushes beyond the first seq seen."""
        deadline = time.monotonic() + timeout
        while any(self._pushes(s) < PUSHES for s in symbols):
            assert time.monotonic() < deadline, f"pushes seen by now: {self.seqs}"
            self.receive(0.5)

    def _pushes(self, symbol: str) -> int:
        return len(self.seqs.get(symbol, [])) - 1  # the first seq seen may be the snapshot's


def _trading_symbols(count: int) -> list[str]:
    """Symbols of the replayed market that trade right now (a suspended one would never push)."""
    from django.conf import settings

    options = {**settings.ARGUS_DATA_SOURCE["OPTIONS"], "clock": "replay"}
    source = load_source({"BACKEND": "simulated", "OPTIONS": options})
    stocks = [info.symbol for info in source.instruments() if info.kind == "stock"][:40]
    trading = [s for s, tick in source.latest_ticks(stocks).items() if tick.status == TickStatus.TRADING]
    assert len(trading) >= count, trading
    return trading[:count]


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    with running(tmp_path) as started:
        yield started


def _start_web(processes: Processes) -> list[str]:
    urls = []
    for name in ("web1", "web2"):
        port = free_port()
        processes.start(name, "manage.py", "serve", "--workers", "1", env=production_env(ARGUS_PORT=str(port)))
        urls.append((name, port))
    for name, port in urls:
        processes.wait_for_port(name, port)
    return [f"ws://127.0.0.1:{port}/ws/market_data" for _, port in urls]


def _start_feed(processes: Processes, feed: str, tmp_path: Path) -> None:
    if feed == "celery":
        worker = ["-m", "celery", "-A", "argus_site", "worker", "--beat", "--pool", "solo", "--loglevel", "INFO"]
        quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        where = ["--hostname", f"argus-test-{uuid.uuid4().hex[:8]}@%h", "--schedule", str(tmp_path / "beat")]
        processes.start("feed", *worker, *quiet, *where, env=production_env())
    else:
        processes.start("feed", "manage.py", "feed", env=production_env())


@pytest.mark.parametrize("feed", ["celery", "command"])
def test_web_processes_and_a_feed_process_behave_as_one(
    feed: str, transactional_db: None, reference_data: None, processes: Processes, tmp_path: Path
) -> None:
    symbols = _trading_symbols(3)
    _start_feed(processes, feed, tmp_path)
    one, two = _start_web(processes)
    with connect(one, origin=ORIGIN, open_timeout=10) as ws_one, connect(two, origin=ORIGIN, open_timeout=10) as ws_two:
        first, second = Client(ws_one), Client(ws_two)
        first.subscribe(symbols[:2])
        second.subscribe(symbols[2:])
        first.pushes_for(symbols[:2], timeout=30)
        second.pushes_for(symbols[2:], timeout=10)
        expected = {"total_connections": 2, "total_subscriptions": 3, "processes": 2}
        for client in (first, second):
            stats = client.stats(expected)
            assert {k: stats[k] for k in expected} == expected, stats
    for client in (first, second):
        for symbol, seqs in client.seqs.items():
            assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), (symbol, seqs)
    assert set(first.seqs) == set(symbols[:2]) and set(second.seqs) == set(symbols[2:])

    # The ticks came from the feed process: the web processes run no periodic jobs.
    # The feed logs its state changes (not every poll, nor Celery's per-task lines): here, the
    # subscribed symbols coming in.
    states = re.findall(r"feed state: (.*)", processes.log("feed"))
    assert any(re.search(r"symbols=[1-9]", state) for state in states), processes.log("feed")
    assert not re.search(r"feed_poll\[[^]]+\] succeeded", processes.log("feed"))
    for web in ("web1", "web2"):
        assert "periodic jobs" not in processes.log(web)
        assert "feed state" not in processes.log(web) and "feed_poll" not in processes.log(web)
    if feed == "command":
        assert processes.stop("feed") == 0  # SIGTERM: a clean exit that frees the feed lock
        token = get_store().try_lock(LOCK, ttl=1)
        assert token is not None
        get_store().unlock(LOCK, token)
