"""A web worker SIGKILLed under read load: uvicorn's master starts a new one, the rest keep serving.

`serve --workers 2` on the production settings, cached /latest from 8 clients in a loop; one worker
is SIGKILLed. Only requests in flight on that worker may fail (their connection drops); nothing
answers 500; a new worker takes its place within 10 s and both serve again; the master and the
surviving worker stay flat in memory (tests/support/memory.py). Figures are printed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.memory import Memory
from tests.support.processes import Processes, free_port, production_env, running

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("services")]

LATEST = "/api/v1/market_data/latest?symbols=000001.SZ,600000.SH"
CLIENTS = 8
RESPAWN_BOUND = 10.0


@pytest.fixture
def processes(transactional_db: None, reference_data: None, tmp_path: Path) -> Iterator[Processes]:
    with running(tmp_path) as started:
        yield started


def _workers(processes: Processes) -> set[int]:
    """The master's uvicorn workers (not multiprocessing's resource tracker)."""
    workers = set()
    for child in psutil.Process(processes.started["web"].pid).children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in " ".join(child.cmdline()):
                workers.add(child.pid)
        except psutil.Error:  # gone meanwhile
            continue
    return workers


def test_a_web_worker_killed_under_load_is_replaced_and_costs_only_its_requests(processes: Processes) -> None:
    port = free_port()
    env = production_env(ARGUS_PORT=str(port), ARGUS_LOG_LEVEL="WARNING", ARGUS_RATE_LIMIT_REALTIME="1000000000")
    processes.start("web", "manage.py", "serve", "--workers", "2", env=env)
    processes.wait_for_port("web", port)
    deadline = time.monotonic() + 30
    while len(_workers(processes)) < 2:
        assert time.monotonic() < deadline, "two workers did not start"
        time.sleep(0.2)
    before = _workers(processes)
    statuses: Counter[object] = Counter()
    errors: list[str] = []  # the bodies of 5xx answers, and the server's log, to tell why
    state = {"running": True}
    memory = Memory(processes)

    async def load() -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:

            async def reader() -> None:
                while state["running"]:
                    try:
                        response = await client.get(LATEST)
                        statuses[response.status_code] += 1
                        if response.status_code >= 500:
                            errors.append(response.text[:500])
                    except httpx.HTTPError as exc:
                        statuses[type(exc).__name__] += 1

            await asyncio.gather(*(reader() for _ in range(CLIENTS)))

    async def scenario() -> float:
        task = asyncio.create_task(load())
        await asyncio.sleep(3)
        await asyncio.to_thread(memory.before)
        victim = sorted(before)[0]
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        respawned = float("inf")
        while time.monotonic() - killed < RESPAWN_BOUND + 10:
            await asyncio.sleep(0.2)
            now = await asyncio.to_thread(_workers, processes)
            if len(now) == 2 and victim not in now:
                respawned = time.monotonic() - killed
                break
        await asyncio.sleep(3)  # both serve again
        state["running"] = False
        await task
        return respawned

    respawned = asyncio.run(scenario())
    failed = sum(count for status, count in statuses.items() if status != 200)
    total = sum(statuses.values())
    print(f"worker SIGKILLed under {CLIENTS} clients: {dict(statuses)}; {failed} of {total} failed; "
          f"new worker in {respawned:.1f} s")  # fmt: skip
    memory.check()
    assert 500 not in statuses, (errors, processes.log("web")[-4000:])
    assert respawned <= RESPAWN_BOUND
    assert failed <= CLIENTS * 2, statuses  # only what was in flight on the killed worker
    assert len(_workers(processes)) == 2
