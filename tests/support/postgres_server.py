"""A private PostgreSQL cluster (initdb) on a free loopback port, which a test may stop and start.

Never the shared 5432: a test that kills its database kills only its own. PostgreSQL refuses to run
as root, so as root the cluster belongs to the `postgres` user (runuser), in a directory of its own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.net import free_port


def _bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def require_postgres_server() -> Path:
    """The server binaries' directory; fails under CI (these tests must run there), skips elsewhere."""
    where = _bin_dir()
    if where is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries (initdb) are not installed (CI is set, so this test must run)")
        pytest.skip("PostgreSQL server binaries (initdb) are not installed")
    return where


class PrivatePostgres:
    """`start()`, `stop()` (immediate: as a crash), `url(database)`; `close()` removes the cluster."""

    def __init__(self) -> None:
        self.bin = require_postgres_server()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="argus-pg-"))
        self.data = self.root / "data"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin / tool), *args]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "-t", "30", "start"
        )

    def stop(self) -> None:
        """Immediate shutdown: every connection dropped at once, as when the server dies."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop")

    def ready(self) -> bool:
        try:
            with psycopg.connect(self.url(), connect_timeout=1):
                return True
        except psycopg.Error:
            return False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.start()
        deadline = time.monotonic() + 30
        while not server.ready():
            assert time.monotonic() < deadline, "the private PostgreSQL did not accept connections"
            time.sleep(0.1)
        yield server
    finally:
        server.close()
