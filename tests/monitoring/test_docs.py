"""Every variable the monitoring settings (security and logs topics) read is in README.md and .env.example."""

from __future__ import annotations

import re

from tests.monitoring.conftest import ROOT


def test_monitoring_variables_are_documented() -> None:
    section = "\n".join(
        (ROOT / "argus_site" / "settings" / f"{topic}.py").read_text() for topic in ("security", "logs")
    )
    names = set(re.findall(r'cfg\.\w+\("(ARGUS_\w+)"', section))
    assert "ARGUS_REQUIRE_API_KEY" in names
    readme = (ROOT / "README.md").read_text()
    env_example = (ROOT / ".env.example").read_text()
    for name in names:
        assert f"{name}=" in env_example, name
        short = "_" + name.rsplit("_", 1)[1]
        assert name in readme or short in readme, name
