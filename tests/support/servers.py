"""Argus servers for tests: a real `manage.py serve` process, or the ASGI app under uvicorn in a thread."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from tests.support.databases import database_url
from tests.support.net import free_port, wait_until
from tests.support.paths import ROOT
from tests.support.processes import clean_env


@contextlib.contextmanager
def argus_server(tmp_path: Path, env: dict[str, str]) -> Iterator[str]:
    """A real `manage.py serve` process (test settings) on a free port; yields its base URL, always stops it."""
    port = free_port()
    server_env = clean_env()
    server_env.update(
        {
            "DJANGO_SETTINGS_MODULE": "argus_site.settings.test",
            "ARGUS_TEST_SERVICES": "0",
            "ARGUS_HOST": "127.0.0.1",
            "ARGUS_PORT": str(port),
            "ARGUS_LOG_DIR": str(tmp_path / f"logs-{port}"),
            "ARGUS_EMBEDDED_JOBS": "false",
            "ARGUS_LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url(),
            **env,
        }
    )
    with (tmp_path / f"server-{port}.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--workers", "1"], cwd=ROOT, env=server_env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(
                lambda: httpx.get(f"{base}/health", timeout=2).status_code in (200, 503), 60, f"server on {port}"
            )
            yield base
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


@contextlib.contextmanager
def uvicorn_thread(
    app: Any = "argus_site.asgi:application", *, port: int | None = None, **options: Any
) -> Iterator[int]:
    """`app` under a real uvicorn in a thread of this process (so its objects can be inspected); yields the port.

    `port`: listen there (a restart on the port a client knows); by default a free one.
    """
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, **{"lifespan": "off", "log_level": "warning", **options})
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert server.started, "uvicorn did not start"
        yield port
    finally:
        server.should_exit = True
        thread.join(15)
