"""Real Argus nodes for the pool tests: `manage.py serve` subprocesses on free loopback ports."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pools.registry import registry
from tests.support.net import free_port
from tests.support.paths import ROOT
from tests.support.processes import clean_env

__all__ = ["Node", "free_port"]
SIM_SEED = "424242"


def node_env(db_file: Path, port: int) -> dict[str, str]:
    env = clean_env()
    env.update(
        DJANGO_SETTINGS_MODULE="argus_site.settings.base",
        DATABASE_URL=f"sqlite:///{db_file}",
        ARGUS_SECRET_KEY="argus-pool-tests-node",
        ARGUS_PORT=str(port),
        ARGUS_HOST="127.0.0.1",
        ARGUS_DATA_SOURCE="simulated",
        ARGUS_SIM_SEED=SIM_SEED,
        ARGUS_SIM_UNIVERSE_SIZE="20",
        ARGUS_SIM_CLOCK="real",
        ARGUS_EMBEDDED_JOBS="false",
        ARGUS_CONFIG_FILE="/nonexistent/argus-pool-tests",
        ARGUS_LOG_LEVEL="WARNING",
        ARGUS_LOG_DIR=str(db_file.parent / "logs"),
        # A gateway sends a node many requests from one client; per-client rate limits (monitoring)
        # must not refuse them here (a deployment gives the gateway's API key limits that fit).
        ARGUS_RATE_LIMIT_REALTIME="1000000",
        ARGUS_RATE_LIMIT_HISTORY="1000000",
        ARGUS_RATE_LIMIT_MANAGEMENT="1000000",
    )
    return env


class Node:
    """One real Argus server; stop() and start() it to test failover."""

    def __init__(self, db_file: Path, port: int) -> None:
        self.db_file = db_file
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve"],
            cwd=ROOT,
            env=node_env(self.db_file, self.port),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"node on port {self.port} exited with {self.process.returncode}")
            try:
                if httpx.get(f"http://{self.address}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"node on port {self.port} did not answer /health within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None


@pytest.fixture(scope="session")
def node_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file with reference data, shared by every node (they only read it)."""
    db_file = tmp_path_factory.mktemp("pool-nodes") / "node.sqlite3"
    env = node_env(db_file, 1)
    for command in (["migrate", "--noinput"], ["createcachetable"], ["load_reference_data"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    return db_file


@pytest.fixture(scope="session")
def nodes(node_db: Path) -> Iterator[list[Node]]:
    """Two running nodes (simulated source, same seed)."""
    started = [Node(node_db, free_port()), Node(node_db, free_port())]
    try:
        for node in started:
            node.start()
        yield started
    finally:
        for node in started:
            node.stop()


@pytest.fixture
def two_nodes(nodes: list[Node]) -> list[Node]:
    """The two nodes, both running (a test that stopped one leaves it to be restarted here)."""
    for node in nodes:
        if node.process is None:
            node.start()
    return nodes


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    """Each test's pools come from its own rows; close the previous test's connections."""
    registry.close()
    yield
    registry.close()
