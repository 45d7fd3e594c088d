"""deploy/supervisord.conf as shipped: a killed process is started again alone; shutdown leaves nothing.

supervisord runs the production settings against this run's PostgreSQL database, Redis and
namespace (tests/support/processes.py), with its socket, pid file, log and beat schedule in a temporary
ARGUS_RUN_DIR and web on a free port; PIDs come from its XML-RPC interface.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import sys
import time
import xmlrpc.client
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.support.processes import ROOT, Processes, free_port, production_env, running

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("services", "transactional_db", "reference_data")]

CONFIG = ROOT / "deploy" / "supervisord.conf"
PROGRAMS = ("web", "worker", "beat")


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class _UnixTransport(xmlrpc.client.Transport):
    """XML-RPC over supervisord's control socket, every call bounded by a timeout."""

    def __init__(self, path: str, timeout: float = 10.0) -> None:
        super().__init__()
        self.path, self.timeout = path, timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        return _UnixConnection(self.path, self.timeout)


class Supervisor:
    def __init__(self, run_dir: Path, base: str) -> None:
        transport = _UnixTransport(str(run_dir / "supervisord.sock"))
        self.rpc: Any = xmlrpc.client.ServerProxy("http://localhost", transport=transport)
        self.base = base
        self.seen: list[psutil.Process] = []  # every process looked at, killed at the end if still alive

    def tree(self, pid: int) -> list[psutil.Process]:
        """The process and all its descendants."""
        root = psutil.Process(pid)
        found = [root, *root.children(recursive=True)]
        self.seen.extend(found)
        return found

    def info(self, name: str) -> dict[str, Any]:
        info: dict[str, Any] = self.rpc.supervisor.getProcessInfo(name)
        return info

    def pids(self) -> dict[str, int]:
        return {name: int(self.info(name)["pid"]) for name in PROGRAMS}

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base}/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False


def _wait(check: Callable[[], bool], timeout: float, what: str, log: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not _safely(check):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{log()[-4000:]}")
        time.sleep(0.2)


def _safely(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except (OSError, xmlrpc.client.Error):  # supervisord not listening yet
        return False


def _running(supervisor: Supervisor, name: str, *, not_pid: int = 0) -> bool:
    info = supervisor.info(name)
    return info["statename"] == "RUNNING" and info["pid"] not in (0, not_pid)


def _gone(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait up to `timeout` s for every process to end; the ones still alive."""
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return [p for p in alive if _alive(p)]


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Processes, Supervisor]]:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    port = free_port()
    env = production_env(
        ARGUS_RUN_DIR=str(run_dir),
        ARGUS_HOST="127.0.0.1",
        ARGUS_PORT=str(port),
        ARGUS_WORKERS="2",
        # `python` and `celery` of the interpreter running the tests (a checkout may have no .venv).
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    with running(tmp_path) as processes:
        supervisord = processes.start("supervisord", "-m", "supervisor.supervisord", "-n", "-c", str(CONFIG), env=env)
        supervisor = Supervisor(run_dir, f"http://127.0.0.1:{port}")
        try:
            yield processes, supervisor
        finally:
            # Whatever the test leaves running ends with supervisord, or is killed by its PID.
            if supervisord.poll() is None:
                supervisor.tree(supervisord.pid)
            processes.stop("supervisord", timeout=90)
            for process in _gone(supervisor.seen, 10):
                with contextlib.suppress(psutil.NoSuchProcess):
                    process.kill()


def test_a_killed_process_is_restarted_alone_and_shutdown_leaves_nothing(
    stack: tuple[Processes, Supervisor],
) -> None:
    processes, supervisor = stack

    def log() -> str:
        return processes.log("supervisord")

    _wait(lambda: all(_running(supervisor, name) for name in PROGRAMS), 120, "web, worker and beat", log)
    _wait(supervisor.healthy, 60, "web's /health", log)
    assert supervisor.info("feed")["statename"] == "STOPPED"  # the optional feed is not started
    before = supervisor.pids()

    # Celery beat dies: it alone gets a new PID; web goes on answering.
    os.kill(before["beat"], signal.SIGKILL)
    _wait(lambda: supervisor.info("beat")["pid"] not in (0, before["beat"]), 10, "a new beat", log)
    _wait(lambda: _running(supervisor, "beat", not_pid=before["beat"]), 15, "the new beat running", log)
    after_beat = supervisor.pids()
    assert (after_beat["web"], after_beat["worker"]) == (before["web"], before["worker"])
    assert supervisor.healthy()

    # The web master dies: its uvicorn workers end too (they would hold the port), a new master serves.
    workers = supervisor.tree(before["web"])[1:]
    assert len([p for p in workers if "multiprocessing.spawn" in " ".join(p.cmdline())]) == 2
    os.kill(before["web"], signal.SIGKILL)
    assert _gone(workers, 20) == [], "the killed master's workers are still running"
    _wait(lambda: _running(supervisor, "web", not_pid=before["web"]), 60, "a new web master", log)
    _wait(supervisor.healthy, 60, "/health from the new web", log)
    after_web = supervisor.pids()
    assert after_web["web"] != before["web"]
    assert (after_web["worker"], after_web["beat"]) == (before["worker"], after_beat["beat"])

    # Shutdown stops every program with what it forked.
    everything = supervisor.tree(processes.started["supervisord"].pid)
    assert {after_web["web"], after_web["worker"], after_web["beat"]} <= {p.pid for p in everything}
    supervisor.rpc.supervisor.shutdown()
    assert processes.started["supervisord"].wait(90) == 0
    assert _gone(everything, 10) == []
    assert not supervisor.healthy()
