"""The user guide's config/settings.yaml, copied exactly, starts a working service: Redis is used,
auth stays development, a secret key is generated, 4 workers serve, and with no Celery running the
server runs the periodic jobs itself, so WebSocket pushes arrive."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import redis
from websockets.sync.client import connect

from tests.clients.test_doc_examples import SPEC
from tests.support.databases import database_url
from tests.support.net import free_port, wait_until
from tests.support.paths import ROOT
from tests.support.processes import clean_env

GUIDE_YAML = Path(__file__).parent / "examples" / "settings.yaml"


def test_the_settings_file_is_the_guides_verbatim() -> None:
    if not (SPEC / "user_guide.md").exists():
        pytest.skip(f"the spec is not at {SPEC} (set ARGUS_SPEC_DIR)")
    block = re.search(r"```yaml\n(.*?)```", (SPEC / "user_guide.md").read_text(encoding="utf-8"), re.S)
    assert block is not None and GUIDE_YAML.read_text(encoding="utf-8") == block.group(1)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_the_guides_settings_yaml_starts_a_service_whose_pushes_arrive(tmp_path: Path) -> None:
    url = database_url()
    if not url.startswith("sqlite"):
        # The guide's file names no database (SQLite); a PostgreSQL DATABASE_URL is a deployment,
        # whose production auth mode rightly wants a secret key.
        pytest.skip("runs in the embedded pass (the guide's file has no database)")
    try:
        redis.Redis(host="localhost", port=6379, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("the guide's file points at Redis on localhost:6379, which is not running")
    port = free_port()
    namespace = f"argus-guide-{uuid.uuid4().hex[:8]}"
    env = clean_env()
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "argus_site.settings.base",
            "ARGUS_CONFIG_FILE": str(GUIDE_YAML),
            # Beside the file: the port (base URL aside), a private Redis namespace, this run's
            # database and logs, and a smaller simulated universe (a quicker start). The clock is
            # the file's default (the replayed session), so pushes flow at any hour.
            "ARGUS_PORT": str(port),
            "ARGUS_NAMESPACE": namespace,
            "DATABASE_URL": url,
            "ARGUS_LOG_DIR": str(tmp_path / "logs"),
            "ARGUS_SIM_UNIVERSE_SIZE": "400",
        }
    )
    log_path = tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "manage.py", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            wait_until(lambda: _answers(base), 90, "the server started from the guide's settings.yaml")
            cleared = httpx.delete(f"{base}/api/v1/cache/clear", timeout=10)  # a management call, no key
            pushes = _pushes(base.replace("http://", "ws://") + "/ws/market_data")
            keys = redis.Redis(host="localhost", port=6379).keys(f"{namespace}:*")
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
    output = log_path.read_text(errors="replace")
    assert "(4 worker(s))" in output, output[-3000:]
    assert cleared.status_code == 200, cleared.text  # development auth: Redis did not switch keys on
    assert keys, "Redis is used"
    assert pushes, output[-3000:]
    logs = "".join(p.read_text(errors="replace") for p in (tmp_path / "logs").glob("*.log")) + output
    assert "this server runs them itself" in logs


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code in (200, 503)
    except httpx.HTTPError:
        return False


def _pushes(ws_url: str) -> list[dict[str, object]]:
    """market_data pushes for 000001.SZ within 30 s of subscribing."""
    pushes: list[dict[str, object]] = []
    with connect(ws_url, origin="http://localhost", open_timeout=10, close_timeout=5) as ws:
        ws.send(json.dumps({"action": "subscribe", "symbols": ["000001.SZ"]}))
        deadline = time.monotonic() + 30
        while not pushes and time.monotonic() < deadline:
            try:
                message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            except TimeoutError:
                break
            if message.get("type") == "market_data":
                pushes.append(message)
    return pushes
