"""The README's "First five calls", run as written (base URL aside) against a real server.

The snippets are read from README.md itself, so the README cannot show a call that does not work.
The server runs its feed on the replay clock, so the WebSocket snippet gets a push at any hour.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.paths import ROOT
from tests.support.servers import argus_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SERVER_ENV = {"ARGUS_EMBEDDED_JOBS": "true", "ARGUS_FEED_INTERVAL": "1", "ARGUS_SIM_CLOCK": "replay"}


def snippets() -> list[tuple[str, str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## First five calls", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(bash|python)\n(.*?)```", section, re.S)


def test_the_section_opens_the_readme_with_five_snippets() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## .+$", readme, re.M)
    assert headings[0] == "## First five calls"
    assert readme.index("make test") < readme.index("## First five calls")
    found = snippets()
    assert [lang for lang, _ in found] == ["bash", "python", "python", "python", "python"]
    assert "curl" in found[0][1] and "pandas" in found[2][1] and "subscribe" in found[3][1] and "/mcp" in found[4][1]


@pytest.fixture
def server(tmp_path: Path, reference_data: None) -> Iterator[str]:
    with argus_server(tmp_path, SERVER_ENV) as base:
        yield base


def test_each_snippet_runs_against_a_real_server(server: str, tmp_path: Path) -> None:
    if not shutil.which("curl"):
        pytest.fail("curl is not installed")
    outputs = []
    for index, (lang, code) in enumerate(snippets()):
        assert "http://localhost:8001" in code
        script = tmp_path / f"snippet{index}.{'sh' if lang == 'bash' else 'py'}"
        script.write_text(code.replace("http://localhost:8001", server), encoding="utf-8")
        command = ["bash", "-euo", "pipefail", str(script)] if lang == "bash" else [sys.executable, str(script)]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=60, check=False, env={**os.environ, "NO_COLOR": "1"}
        )
        assert result.returncode == 0, (index, code, result.stdout[-2000:], result.stderr[-3000:])
        outputs.append(result.stdout)
    curl, python, frame, websocket, mcp = outputs
    assert '"success":true' in curl and '"simulated":true' in curl and "600519.SH" in curl
    assert "贵州茅台" in python and "simulated True" in python
    assert "close" in frame and "2024-01-31" in frame and "simulated" in frame
    assert websocket.splitlines()[0].startswith("subscribed") and websocket.splitlines()[-1].startswith("market_data")
    assert "'simulated': True" in mcp
