"""The feed process SIGKILLed or SIGSTOPped under subscribers, on the production settings.

Two web workers (`serve --workers 2`) and a `manage.py feed` process share Redis. When the feed dies
(or hangs), it says nothing: each subscriber must still be told, by its own web process, that its
symbols are stale within the documented window ((ARGUS_FEED_STALE_INTERVALS + 1) x
ARGUS_FEED_INTERVAL), and told `fresh` once a feed runs again; every subscriber ends with a
gap-free sequence per epoch (or an explicit reset), and the server processes' memory stays flat
(tests/support/memory.py). Figures are printed.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.memory import Memory
from tests.support.processes import Processes, free_port, production_env, running
from tests.support.subscribers import Subscriber, state_is
from tests.ws.test_cross_process import _trading_symbols

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("services")]

INTERVAL = 0.5  # production_env's ARGUS_FEED_INTERVAL
STALE_INTERVALS = 8  # production_env's ARGUS_FEED_STALE_INTERVALS
WINDOW = (STALE_INTERVALS + 1) * INTERVAL
SLACK = 3.0  # the watchdog's own cadence, two cores shared by five processes and this test
# A SIGKILLed feed leaves its lock to expire (feed_lock_ttl: 10 s) before a new one may poll.
RECOVERY_BOUND = 10.0 + 5.0


@pytest.fixture
def stack(transactional_db: None, reference_data: None, tmp_path: Path) -> Iterator[tuple[Processes, str]]:
    with running(tmp_path) as processes:
        port = free_port()
        processes.start("web", "manage.py", "serve", "--workers", "2", env=production_env(ARGUS_PORT=str(port)))
        processes.start("feed", "manage.py", "feed", env=production_env())
        processes.wait_for_port("web", port)
        yield processes, f"ws://127.0.0.1:{port}/ws/market_data"


@pytest.mark.parametrize("fault", ["SIGKILL", "SIGSTOP"])
def test_subscribers_are_told_stale_by_their_web_process_and_fresh_after(
    fault: str, stack: tuple[Processes, str]
) -> None:
    processes, url = stack
    symbols = _trading_symbols(3)
    subscribers = [Subscriber(url) for _ in range(4)]  # spread over both workers
    try:
        for sub in subscribers:
            sub.subscribe(symbols)
        start = time.monotonic()
        for sub in subscribers:
            assert sub.until(lambda f: f["type"] == "market_data", 30, start) is not None, "no pushes before the fault"
        memory = Memory(processes)
        memory.before()

        feed = processes.started["feed"]
        faulted = time.monotonic()
        os.killpg(feed.pid, getattr(signal, fault))
        told = []
        for sub in subscribers:
            at = sub.until(state_is(set(symbols), "stale"), WINDOW + SLACK + 5, faulted)
            assert at is not None, f"no stale status after {fault} of the feed: {sub.frames[-5:]}"
            told.append(at - faulted)
        assert max(told) <= WINDOW + SLACK, told

        healed = time.monotonic()
        if fault == "SIGKILL":
            feed.wait(10)
            processes.start("feed", "manage.py", "feed", env=production_env())
        else:
            os.killpg(feed.pid, signal.SIGCONT)
        back = []
        for sub in subscribers:
            at = sub.until(state_is(set(symbols), "fresh"), RECOVERY_BOUND + 5, healed)
            assert at is not None, f"no fresh status after the feed came back: {sub.frames[-5:]}"
            back.append(at - healed)
        assert max(back) <= RECOVERY_BOUND, back
        for sub in subscribers:
            sub.read(2 * INTERVAL)
            assert sub.silent_losses() == []
        print(
            f"feed {fault}: stale told to 4 subscribers after {min(told):.1f}-{max(told):.1f} s "
            f"(window {WINDOW:.1f} s); fresh {min(back):.1f}-{max(back):.1f} s after the feed "
            f"{'restarted' if fault == 'SIGKILL' else 'continued'}; sequences gap-free"
        )
        memory.check()
    finally:
        for sub in subscribers:
            sub.close()
