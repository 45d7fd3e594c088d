"""The Celery worker or Celery beat SIGKILLed or SIGSTOPped alone, under subscribers and reads.

The production topology of `make prod` (deploy/supervisord.conf): `serve --workers 2`, one Celery
worker (`--concurrency 2`) and one Celery beat, on the production settings. In production the feed
is a periodic job (DESIGN.md: "feed poll (Celery beat, every ARGUS_FEED_INTERVAL)"): beat schedules
it with the other jobs of ARGUS_PERIODIC_JOBS (pool health checks, cache optimisation, alert
evaluation) and the worker runs them. So whichever of the two stops, everything periodic stops:

- every subscriber is told `stale` by its own web process within the documented window
  ((ARGUS_FEED_STALE_INTERVALS + 1) x ARGUS_FEED_INTERVAL), and `/health` says the feed is
  `degraded` ("last poll N s ago") once its last poll is older than ARGUS_FEED_STALE_AFTER;
- no job starts while it is down (the console's job table, monitoring.services.jobs, shows their
  last runs standing still);
- reads go on answering 200 (cached or from the source), never a 500;
- within 10 s of SIGCONT, or of the process started again (as supervisord does), every subscriber
  is told `fresh`, pushes resume and every job runs again;
- every subscriber's sequence is gap-free (or reset), and the other processes' memory stays flat.

Here the web servers' standby scheduler is off (ARGUS_EMBEDDED_JOBS=false, as in every fault test),
so the fault's effect is Celery's alone. Figures are printed.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitoring.services.jobs import job_runs
from tests.support.memory import RECORDER_START_MB, RSS_BOUND_MB, Memory
from tests.support.processes import Processes, free_port, production_env, running
from tests.support.subscribers import Subscriber, state_is
from tests.ws.test_cross_process import _trading_symbols

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("services")]

INTERVAL = 0.5  # production_env's ARGUS_FEED_INTERVAL
STALE_INTERVALS = 8  # production_env's ARGUS_FEED_STALE_INTERVALS
WINDOW = (STALE_INTERVALS + 1) * INTERVAL
SLACK = 3.0  # the watchdog's own cadence, two cores shared by six processes and this test
STALE_AFTER = 3.0  # ARGUS_FEED_STALE_AFTER here: /health calls the feed degraded within the fault
JOB_INTERVAL = 2.0  # the other periodic jobs run this often here, so that each is seen to stop and resume
JOBS = ("feed-poll", "pools-health-check", "cache-optimize", "alerts-evaluate")
RECOVERY_BOUND = 10.0
DOWN_SECONDS = 8.0  # how long the process stays down: past the window and STALE_AFTER
# A job handed to the worker just before the fault may still start a moment after it.
GRACE = 1.5
WARM_UP = 5.0  # seconds of pushes and reads before the memory is first measured


@dataclass
class Read:
    sent: float
    path: str
    status: int  # 0: no answer
    json: bool
    feed: str | None  # /health's details.feed.status


class Reads(threading.Thread):
    """/latest of the subscribed symbols and /health, every 0.25 s, until stopped."""

    def __init__(self, base: str, symbols: list[str]) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.paths = (f"/api/v1/market_data/latest?symbols={','.join(symbols)}", "/health")
        self.answers: list[Read] = []
        self.done = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=8) as client:
            while not self.done.is_set():
                for path in self.paths:
                    sent = time.monotonic()
                    try:
                        response = client.get(path)
                    except httpx.HTTPError:
                        self.answers.append(Read(sent, path, 0, False, None))
                        continue
                    is_json = response.headers.get("content-type", "").startswith("application/json")
                    body: Any = response.json() if is_json else {}
                    feed = body.get("details", {}).get("feed", {}).get("status") if path == "/health" else None
                    self.answers.append(Read(sent, path, response.status_code, is_json, feed))
                self.done.wait(0.25)

    def stop(self) -> None:
        self.done.set()
        self.join(15)

    def feed_states(self, since: float, until: float) -> list[str | None]:
        return [a.feed for a in self.answers if a.path == "/health" and since <= a.sent < until]


def _last_runs() -> dict[str, float]:
    """Each watched job's last start (epoch s), as the console reads it; 0 before a first run."""
    return {row["name"]: float(row["last_run"] or 0) for row in job_runs() if row["name"] in JOBS}


def _all_ran_since(epoch: float, timeout: float) -> float | None:
    """Seconds from `epoch` until the last of the watched jobs started again, or None after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        runs = _last_runs()
        if len(runs) == len(JOBS) and all(run >= epoch for run in runs.values()):
            return max(runs.values()) - epoch
        time.sleep(0.2)
    return None


def _env(**extra: str) -> dict[str, str]:
    return production_env(
        ARGUS_FEED_STALE_AFTER=str(STALE_AFTER),
        POOL_HEALTH_CHECK_INTERVAL=str(JOB_INTERVAL),
        ARGUS_CACHE_OPTIMIZE_INTERVAL=str(JOB_INTERVAL),
        ARGUS_ALERT_INTERVAL=str(JOB_INTERVAL),
        # One reader is one client: the spec's limits would refuse most of its reads.
        ARGUS_RATE_LIMIT_REALTIME="1000000000",
        **extra,
    )


def _start_celery(processes: Processes, name: str, schedule: Path) -> None:
    if name == "worker":
        # As deploy/supervisord.conf runs it; a name of its own and no gossip with other test runs' workers.
        command = ["-m", "celery", "-A", "argus_site", "worker", "--loglevel", "INFO", "--concurrency", "2"]
        quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        processes.start(name, *command, *quiet, "--hostname", f"argus-fault-{uuid.uuid4().hex[:8]}@%h", env=_env())
    else:
        command = ["-m", "celery", "-A", "argus_site", "beat", "--loglevel", "INFO", "--schedule", str(schedule)]
        processes.start(name, *command, env=_env())


def _start_stack(processes: Processes, tmp_path: Path, **web_env: str) -> tuple[int, Path]:
    port = free_port()
    schedule = tmp_path / "celerybeat-schedule"
    processes.start("web", "manage.py", "serve", "--workers", "2", env=_env(ARGUS_PORT=str(port), **web_env))
    _start_celery(processes, "worker", schedule)
    _start_celery(processes, "beat", schedule)
    processes.wait_for_port("web", port)
    return port, schedule


@pytest.fixture
def stack(transactional_db: None, reference_data: None, tmp_path: Path) -> Iterator[tuple[Processes, int, Path]]:
    with running(tmp_path) as processes:
        yield processes, *_start_stack(processes, tmp_path)


@pytest.mark.parametrize("fault", ["SIGKILL", "SIGSTOP"])
@pytest.mark.parametrize("victim", ["worker", "beat"])
def test_periodic_jobs_stop_and_subscribers_are_told_then_all_resume(
    victim: str, fault: str, stack: tuple[Processes, int, Path]
) -> None:
    processes, port, schedule = stack
    symbols = _trading_symbols(3)
    subscribers = [Subscriber(f"ws://127.0.0.1:{port}/ws/market_data") for _ in range(4)]  # over both workers
    reads = Reads(f"http://127.0.0.1:{port}", symbols)
    try:
        for sub in subscribers:
            sub.subscribe(symbols)
        reads.start()
        start = time.monotonic()
        for sub in subscribers:
            assert sub.until(lambda f: f["type"] == "market_data", 40, start) is not None, (
                f"no pushes from the Celery feed:\n{processes.log('worker')[-3000:]}"
            )
        assert _all_ran_since(0, 20) is not None, f"not every job ran: {_last_runs()}"
        for sub in subscribers:  # warm-up: every path of the scenario has run once before memory is measured
            sub.read(max(0.0, start + WARM_UP - time.monotonic()) / len(subscribers))
        memory = Memory(processes)
        memory.before()

        process = processes.started[victim]
        faulted, faulted_epoch = time.monotonic(), time.time()
        os.killpg(process.pid, getattr(signal, fault))
        told = []
        for sub in subscribers:
            at = sub.until(state_is(set(symbols), "stale"), WINDOW + SLACK + 5, faulted)
            assert at is not None, f"no stale status after {fault} of Celery {victim}: {sub.frames[-5:]}"
            told.append(at - faulted)
        time.sleep(max(0.0, faulted + DOWN_SECONDS - time.monotonic()))
        stood_still = _last_runs()
        late = {name: run - faulted_epoch for name, run in stood_still.items() if run > faulted_epoch + GRACE}
        health_down = reads.feed_states(faulted + STALE_AFTER + 2, time.monotonic())

        healed, healed_epoch = time.monotonic(), time.time()
        if fault == "SIGKILL":
            process.wait(10)
            _start_celery(processes, victim, schedule)
        else:
            os.killpg(process.pid, signal.SIGCONT)
        back = []
        for sub in subscribers:
            at = sub.until(state_is(set(symbols), "fresh"), RECOVERY_BOUND + 10, healed)
            assert at is not None, f"no fresh status after Celery {victim} came back: {sub.frames[-5:]}"
            back.append(at - healed)
        jobs_back = _all_ran_since(healed_epoch, RECOVERY_BOUND + 10)
        pushed = time.monotonic()
        for sub in subscribers:
            assert sub.until(lambda f: f["type"] == "market_data", 5, pushed) is not None, "no pushes after recovery"
        deadline = time.monotonic() + 5
        while "healthy" not in (health_up := reads.feed_states(healed, deadline)) and time.monotonic() < deadline:
            time.sleep(0.2)
        reads.stop()

        statuses = Counter((a.path.split("?")[0], a.status) for a in reads.answers)
        print(
            f"\nCelery {victim} {fault}: stale told to 4 subscribers after {min(told):.1f}-{max(told):.1f} s "
            f"(window {WINDOW:.1f} s); /health feed while down {dict(Counter(health_down))}; jobs started "
            f"while down: {late or 'none'}; after {'restart' if fault == 'SIGKILL' else 'SIGCONT'}: fresh "
            f"{min(back):.1f}-{max(back):.1f} s, every job ran again after "
            f"{jobs_back if jobs_back is None else round(jobs_back, 1)} s; reads {dict(statuses)}"
        )
        memory.check()

        assert max(told) <= WINDOW + SLACK, told
        assert late == {}, f"jobs started while Celery {victim} was down: {late}"
        assert health_down and set(health_down) == {"degraded"}, health_down
        assert max(back) <= RECOVERY_BOUND, back
        assert jobs_back is not None and jobs_back <= RECOVERY_BOUND, (jobs_back, _last_runs(), healed_epoch)
        for sub in subscribers:
            sub.read(2 * INTERVAL)
            assert sub.silent_losses() == []
        assert all(a.json and a.status == 200 for a in reads.answers), statuses
        assert "healthy" in health_up, health_up
    finally:
        if reads.is_alive():
            reads.stop()
        for sub in subscribers:
            sub.close()


# With ARGUS_EMBEDDED_JOBS=auto the web servers take the jobs over once no Celery worker has started
# one for argus_site.scheduler.celery_alive_seconds() (10 s here); then their standby's next tick.
TAKEOVER_BOUND = 10.0 + 1.0 + SLACK


def test_with_the_default_standby_the_web_servers_take_the_jobs_over_and_give_them_back(
    transactional_db: None, reference_data: None, tmp_path: Path
) -> None:
    """The production default, ARGUS_EMBEDDED_JOBS=auto: the Celery worker SIGKILLed and not started
    again (no supervisor, or one that gave up). Subscribers are told `stale`; then the web servers
    run the periodic jobs themselves (once each tick, a Redis lock), pushes resume and `fresh` is
    told, with no Celery at all; when a worker runs again they stand by. Figures are printed."""
    with running(tmp_path) as processes:
        port, schedule = _start_stack(processes, tmp_path, ARGUS_EMBEDDED_JOBS="auto")
        symbols = _trading_symbols(3)
        subscribers = [Subscriber(f"ws://127.0.0.1:{port}/ws/market_data") for _ in range(2)]
        try:
            for sub in subscribers:
                sub.subscribe(symbols)
            start = time.monotonic()
            for sub in subscribers:
                assert sub.until(lambda f: f["type"] == "market_data", 40, start) is not None, "no pushes"
            assert "leaves them to it" in processes.log("web"), processes.log("web")[-3000:]
            # The web worker that takes the jobs over starts recording ticks there: a new role, whose
            # one-time start (Arrow's writer and reader, their pools) measured +31 MB of anonymous
            # memory once; a recording process stays flat after that (test_feed_faults.py).
            memory = Memory(processes, bound_mb=RSS_BOUND_MB + RECORDER_START_MB)
            memory.before()

            worker = processes.started["worker"]
            killed, killed_epoch = time.monotonic(), time.time()
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
            told = []
            for sub in subscribers:
                at = sub.until(state_is(set(symbols), "stale"), WINDOW + SLACK + 5, killed)
                assert at is not None, f"no stale status after the worker died: {sub.frames[-5:]}"
                told.append(at - killed)
            back = []
            for sub in subscribers:
                at = sub.until(state_is(set(symbols), "fresh"), TAKEOVER_BOUND + 10, killed)
                assert at is not None, f"the web servers did not take the feed over: {processes.log('web')[-3000:]}"
                back.append(at - killed)
            taken = _all_ran_since(killed_epoch + 1, TAKEOVER_BOUND + 10)
            took_over = "this server runs them itself" in processes.log("web")

            standing_by = processes.log("web").count("leaves them to it")  # a line from each web worker
            restarted = time.monotonic()
            _start_celery(processes, "worker", schedule)
            deadline = restarted + 30
            while processes.log("web").count("leaves them to it") < standing_by + 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            handed_back = time.monotonic() - restarted
            pushed = time.monotonic()
            for sub in subscribers:
                assert sub.until(lambda f: f["type"] == "market_data", 10, pushed) is not None, "no pushes after"
                sub.read(2 * INTERVAL)
            print(
                f"\nCelery worker SIGKILLed, not restarted, ARGUS_EMBEDDED_JOBS=auto: stale told after "
                f"{min(told):.1f}-{max(told):.1f} s; the web servers took the jobs over: fresh after "
                f"{min(back):.1f}-{max(back):.1f} s, every job ran again {taken if taken is None else round(taken, 1)} "
                f"s after the kill; a new worker: the web servers stood by again after {handed_back:.1f} s"
            )
            memory.check()

            assert max(told) <= WINDOW + SLACK, told
            assert took_over, processes.log("web")[-3000:]
            assert max(back) <= TAKEOVER_BOUND, back
            assert taken is not None and taken <= TAKEOVER_BOUND, (taken, _last_runs())
            assert handed_back < 30, processes.log("web")[-3000:]
            for sub in subscribers:
                assert sub.silent_losses() == []
        finally:
            for sub in subscribers:
                sub.close()
