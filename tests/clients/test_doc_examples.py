"""Every Python example of the API documentation's SDK section and of the user guide, run unchanged
(base URL aside) against a real `manage.py serve`, one script per example (tests/clients/examples/).

The examples are the spec's code blocks byte for byte; where the spec is at hand (../shared/spec,
or $ARGUS_SPEC_DIR) a test checks they still are. How a snippet is run: tests/clients/run_example.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.paths import ROOT
from tests.support.servers import argus_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

EXAMPLES = Path(__file__).parent / "examples"
RUNNER = Path(__file__).parent / "run_example.py"
SPEC = Path(os.environ.get("ARGUS_SPEC_DIR", ROOT.parent / "shared" / "spec"))

# Snippets that cannot run in any Python, whatever the server does, and why. Each is still run,
# and must fail exactly so (if the guide or the SDK changes so that one runs, move it out).
NOT_RUNNABLE = {
    # websocket-client's WebSocketApp sends before run_forever() has connected anything; the
    # SDK's `subscribe()` (tests/mcp/test_client_sdk.py) is the guide's subscription that works.
    "guide_01_websocket_client": "WebSocketConnectionClosedException: Connection is already closed.",
    # `cache_config` is the plain dict of the TTL snippet (guide_05): it has no attribute max_size.
    "guide_13_memory": "AttributeError: 'dict' object has no attribute 'max_size'",
}


def _examples() -> list[Path]:
    return sorted(EXAMPLES.glob("*.py"))


def _blocks(markdown: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown.read_text(encoding="utf-8"), re.S)


def test_the_examples_are_the_documentations_code_blocks_verbatim() -> None:
    if not (SPEC / "user_guide.md").exists():
        pytest.skip(f"the spec is not at {SPEC} (set ARGUS_SPEC_DIR)")
    guide = [path.read_text(encoding="utf-8") for path in _examples() if path.name.startswith("guide_")]
    assert guide == _blocks(SPEC / "user_guide.md")
    assert (EXAMPLES / "api_sdk_python.py").read_text(encoding="utf-8") == _blocks(SPEC / "api_documentation.md")[0]


def _run(example: Path, base: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARGUS_URL": base, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(RUNNER), str(example)], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_every_sdk_and_user_guide_example_runs_against_a_real_server(tmp_path: Path) -> None:
    # The spec's SDK example first: like a reader's first script, it makes the reads that give
    # the cache and the service metrics their first figures (before any, they are null).
    order = [EXAMPLES / "api_sdk_python.py", *[p for p in _examples() if p.name.startswith("guide_")]]
    failures: list[str] = []
    outputs: dict[str, str] = {}
    with argus_server(tmp_path, {}) as base:
        for example in order:
            done = _run(example, base)
            outputs[example.stem] = done.stdout
            expected = NOT_RUNNABLE.get(example.stem)
            if expected is not None:
                if done.returncode == 0 or expected not in done.stderr:
                    failures.append(f"{example.stem}: expected to fail with {expected!r}:\n{done.stderr[-1500:]}")
            elif done.returncode != 0:
                failures.append(f"{example.stem} (exit {done.returncode}):\n{done.stdout[-500:]}{done.stderr[-2000:]}")
        pools = httpx.get(f"{base}/api/v1/connection_pool/pools", timeout=10).json()
    assert not failures, "\n\n".join(failures)
    # What they printed is the server's answers.
    assert "历史数据: 2" in outputs["api_sdk_python"]  # 22 trading days of January 2024
    assert "缓存命中率: " in outputs["api_sdk_python"]
    assert "'000001.SZ'" in outputs["guide_00_basic_usage"]
    assert "连接池利用率: " in outputs["guide_04_connection_pool"]
    assert "CPU 使用率: " in outputs["guide_15_monitoring"] and "请求 QPS: " in outputs["guide_15_monitoring"]
    assert "200" in outputs["guide_11_timeout"]
    assert [pool["name"] for pool in pools["pools"]] == ["market_data_pool"]
