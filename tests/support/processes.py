"""Real Argus processes for the tests that cross process boundaries.

Each runs the production settings (`argus_site.settings.base`) against this test run's database,
Redis and namespace, in a session of its own so that everything it forks is killed with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import redis
from django.conf import settings

from tests.support.databases import database_url
from tests.support.net import free_port, listening
from tests.support.paths import FAKES, ROOT

__all__ = ["FAKES", "ROOT", "Processes", "clean_env", "database_url", "free_port", "production_env", "running"]


def clean_env() -> dict[str, str]:
    """This process's environment without any Argus, Redis, database or Django setting."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("ARGUS_", "REDIS_", "DATABASE_URL", "DJANGO_"))}


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production process on this run's database, Redis and namespace."""
    env = clean_env()
    options = settings.ARGUS_DATA_SOURCE["OPTIONS"]
    env.update(
        DJANGO_SETTINGS_MODULE="argus_site.settings.base",
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        ARGUS_NAMESPACE=settings.ARGUS_NAMESPACE,
        ARGUS_SECRET_KEY=settings.SECRET_KEY,
        ARGUS_AUTH_MODE=settings.ARGUS_AUTH_MODE,
        ARGUS_CONFIG_FILE="/nonexistent/argus-tests-ignore-local-yaml",
        # The market the test process loaded into the database, replayed so that it trades at any hour.
        ARGUS_SIM_SEED=str(options["seed"]),
        ARGUS_SIM_UNIVERSE_SIZE=str(options["universe_size"]),
        ARGUS_SIM_CLOCK="replay",
        ARGUS_FEED_INTERVAL="0.5",
        # The simulated market moves every 3 s: a symbol is stale only after 4 s without a new tick.
        ARGUS_FEED_STALE_INTERVALS="8",
        ARGUS_EMBEDDED_JOBS="false",
        ARGUS_LOG_DIR="-",
        ARGUS_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


class Processes:
    """Start processes (`python <args>` in the repository); `stop_all` ends every one, with what it forked."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        # Append mode: a process that reopens /dev/stdout (supervisord's program logs) then writes at
        # the end of the file too, instead of over its parent's lines.
        with (self.logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.started[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def wait_for_port(self, name: str, port: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if listening(port):
                return
            if self.started[name].poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{name} is not listening on {port}:\n{self.log(name)[-3000:]}")
            time.sleep(0.1)

    def stop(self, name: str, timeout: float = 15.0) -> int:
        """SIGTERM to the process's session; SIGKILL when it does not end in `timeout`. Its exit code."""
        process = self.started[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            return process.wait(10)

    def stop_all(self) -> None:
        for name in self.started:
            self.stop(name)


@contextlib.contextmanager
def running(logs: Path) -> Iterator[Processes]:
    """Processes to start; at the end every one is stopped, then the Redis keys they left are deleted."""
    with _new_keys_removed():
        processes = Processes(logs)
        try:
            yield processes
        finally:
            processes.stop_all()


@contextlib.contextmanager
def _new_keys_removed() -> Iterator[None]:
    """Delete every key of this namespace that appears meanwhile (streams, Celery's queues, cache entries)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    pattern = f"{settings.ARGUS_NAMESPACE}:*"
    before = set(client.scan_iter(match=pattern, count=1000))
    try:
        yield
    finally:
        new = set(client.scan_iter(match=pattern, count=1000)) - before
        if new:
            client.delete(*new)
        client.close()
