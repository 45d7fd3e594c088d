"""The JavaScript/TypeScript SDK (`clients/js`): its Node test suite and the spec's JS example, against a real server.

`npm ci` runs first when `clients/js/node_modules` is missing (a fresh clone; `make install-dev`
does it too). The server is a real `manage.py serve` with its feed running, so WebSocket pushes flow.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clients.test_doc_examples import SPEC
from tests.conftest import _unavailable
from tests.support.browser import PageErrors, chromium
from tests.support.net import free_port
from tests.support.paths import ROOT
from tests.support.servers import argus_server

JS = ROOT / "clients" / "js"
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The feed polls inside the server (the test settings switch the embedded jobs off) on the replay
# clock, so pushes flow at any hour (the test settings' real clock has none outside sessions).
SERVER_ENV = {"ARGUS_EMBEDDED_JOBS": "true", "ARGUS_FEED_INTERVAL": "1", "ARGUS_SIM_CLOCK": "replay"}


def _node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        _unavailable("node and npm are not installed (scripts/system-packages installs them)")
    assert node and npm
    if not (JS / "node_modules" / "ws").is_dir() or not (JS / "node_modules" / "typescript").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, timeout=300)
    return node


@pytest.fixture
def server(tmp_path: Path, reference_data: None) -> Iterator[str]:
    # The recorder on, so stream.test.js can replay what the feed recorded.
    recorder = {
        "ARGUS_RECORDER_ENABLED": "true",
        "ARGUS_RECORDER_DIR": str(tmp_path / "archive"),
        "ARGUS_RECORDER_FLUSH_SECONDS": "0.5",
        "ARGUS_RECORDER_RETENTION_DAYS": "100000",
    }
    with argus_server(tmp_path, {**SERVER_ENV, **recorder}) as base:
        yield base


def _run(args: list[str], base: str, timeout: float) -> subprocess.CompletedProcess[str]:
    # Node runs on the real clock even under the suite's libfaketime stage (a frozen clock stalls its
    # timers, as tests/support/browser.py says of Chromium); market time is the server's anyway.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
    env.update({"ARGUS_URL": base, "NO_COLOR": "1"})
    return subprocess.run(args, cwd=JS, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def test_the_js_sdk_passes_its_node_tests_against_a_real_server(server: str) -> None:
    node = _node()
    files = sorted(str(path.relative_to(JS)) for path in (JS / "test").glob("*.test.js"))
    assert {"test/api.test.js", "test/stream.test.js", "test/types.test.js", "test/unit.test.js"} <= set(files)
    result = _run([node, "--test", "--test-reporter=tap", *files], server, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "# fail 0" in result.stdout


def test_the_spec_js_example_runs_verbatim_against_the_server(server: str, tmp_path: Path) -> None:
    node = _node()
    example = (JS / "examples" / "spec_example.mjs").read_text(encoding="utf-8")
    assert example.count("http://localhost:8001") == 1
    # Beside the original so `argus-mcp-client` resolves as it does for the example itself.
    runnable = JS / "examples" / f".spec_example_{os.getpid()}.mjs"
    runnable.write_text(example.replace("http://localhost:8001", server), encoding="utf-8")
    try:
        result = _run([node, str(runnable)], server, timeout=60)
    finally:
        runnable.unlink()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    # getLatestMarketData(...).then(data => console.log(data)): the envelope, both symbols, provenance
    assert "success: true" in out and "'000001.SZ'" in out and "'000002.SZ'" in out
    assert "simulated: true" in out
    # the WebSocket: the subscribe the spec sends on open is acknowledged and its snapshot arrives
    assert '收到数据: {"type":"subscribed"' in out
    assert '收到数据: {"type":"snapshot"' in out


@pytest.fixture
def static_origin() -> Iterator[str]:
    """clients/js served over HTTP, as a web app would serve the package's modules."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(JS))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(10)


def test_the_js_sdk_works_in_a_browser(tmp_path: Path, reference_data: None, static_origin: str) -> None:
    """Chromium loads the ES modules as they are, calls a server of another origin (CORS) and subscribes."""
    env = {**SERVER_ENV, "ARGUS_CORS_ALLOWED_ORIGINS": static_origin}
    with argus_server(tmp_path, env) as base, chromium() as browser:
        page = browser.new_page()
        errors = PageErrors()
        errors.watch(page)
        page.goto(f"{static_origin}/test/browser.html#{base}")
        page.wait_for_function("window.result !== undefined", timeout=30_000)
        result = page.evaluate("window.result")
        page.close()
    # the one 400 is the deliberate bad symbol
    assert [m for m in errors.messages if "400" not in m] == [], errors.messages
    assert "failed" not in result, result
    assert result["name"] == "贵州茅台"
    assert result["source"]["simulated"] is True and result["source"]["source"] == "simulated"
    assert result["bars"] > 15
    assert result["error"] == [True, "INVALID_PARAMETER", 400]
    assert result["types"][0] == "subscribed" and result["types"][-1] == "market_data"
    assert result["websocketUrl"] == base.replace("http://", "ws://") + "/ws/market_data"


GUIDE_EXAMPLES = ROOT / "tests" / "clients" / "examples"
# Before the guide's code: every WebSocket the page opens is kept (window.sockets) and its frames
# recorded (window.frames), so what the guide's code did can be read afterwards.
WATCH_SOCKETS = """
window.sockets = []; window.frames = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
        super(...args);
        window.sockets.push(this);
        this.addEventListener('message', (event) => window.frames.push(JSON.parse(event.data)));
    }
};
"""


def test_the_guides_javascript_examples_run_verbatim_in_a_browser(tmp_path: Path, reference_data: None) -> None:
    """The guide's two WebSocket snippets (connection reuse, reconnect after 5 s), as a web page runs them."""
    if (SPEC / "user_guide.md").exists():
        blocks = re.findall(r"```javascript\n(.*?)```", (SPEC / "user_guide.md").read_text(encoding="utf-8"), re.S)
        assert [p.read_text(encoding="utf-8") for p in sorted(GUIDE_EXAMPLES.glob("guide_js_*.js"))] == blocks
    reuse, reconnect = (
        (GUIDE_EXAMPLES / name).read_text(encoding="utf-8").replace("ws://localhost:8001", "{ws}")
        for name in ("guide_js_00_connection_reuse.js", "guide_js_01_reconnect.js")
    )
    with argus_server(tmp_path, SERVER_ENV) as base, chromium() as browser:
        ws_base = base.replace("http://", "ws://")
        page = browser.new_page()
        errors = PageErrors()
        errors.watch(page)
        page.goto(f"{base}/health")
        page.add_script_tag(content=WATCH_SOCKETS)
        # Connection reuse: one socket, three symbols subscribed on open, their pushes arrive.
        page.add_script_tag(content=reuse.replace("{ws}", ws_base))
        page.wait_for_function("window.frames.some((f) => f.type === 'market_data')", timeout=30_000)
        subscribed = page.evaluate("window.frames.find((f) => f.type === 'subscribed').data.symbols")
        # Reconnect: the guide defines connectWebSocket(); the page calls it and closes the socket
        # it returns; the guide's onclose opens a new one 5 s later.
        page.add_script_tag(content=reconnect.replace("{ws}", ws_base))
        page.evaluate("window.first = connectWebSocket()")
        page.wait_for_function("window.first.readyState === WebSocket.OPEN", timeout=10_000)
        page.evaluate("window.first.close()")
        page.wait_for_function("window.sockets.length === 3 && window.sockets[2].readyState === 1", timeout=15_000)
        urls = page.evaluate("window.sockets.map((s) => s.url)")
        page.close()
    assert subscribed == ["000001.SZ", "000002.SZ", "000858.SZ"]
    assert urls == [f"{ws_base}/ws/market_data"] * 3
    assert errors.messages == [], errors.messages
