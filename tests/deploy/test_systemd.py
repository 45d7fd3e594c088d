"""deploy/systemd: one unit per process, each restarted on its own, grouped by argus.target."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT

UNITS = ROOT / "deploy" / "systemd"
SERVICES = {
    "argus-web.service": ["/opt/argus/.venv/bin/python", "manage.py", "serve"],
    "argus-worker.service": ["/opt/argus/.venv/bin/celery", "-A", "argus_site", "worker"],
    "argus-beat.service": ["/opt/argus/.venv/bin/celery", "-A", "argus_site", "beat"],
}


def _parse(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values in order]}} (systemd allows a key more than once)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, equals, value = line.partition("=")
        assert equals and current is not None, f"{path.name}:{number}: not a key=value in a section: {line!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_the_units_are_the_ones_shipped() -> None:
    assert sorted(p.name for p in UNITS.iterdir()) == sorted([*SERVICES, "argus.target"])


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_restarts_alone_with_its_environment(name: str) -> None:
    unit = _parse(UNITS / name)
    service = unit["Service"]
    assert service["Restart"] == ["always"]
    assert service["ExecStart"][0].split()[: len(SERVICES[name])] == SERVICES[name]
    assert service["EnvironmentFile"] == ["/etc/argus/argus.env"]
    assert service["WorkingDirectory"] == ["/opt/argus"]
    assert service.get("KillMode", ["control-group"]) == ["control-group"]  # uvicorn's and Celery's children too
    assert unit["Unit"]["PartOf"] == ["argus.target"]
    assert unit["Install"]["WantedBy"] == ["argus.target"]


def test_the_target_wants_every_service() -> None:
    target = _parse(UNITS / "argus.target")
    assert sorted(" ".join(target["Unit"]["Wants"]).split()) == sorted(SERVICES)
    assert target["Install"]["WantedBy"] == ["multi-user.target"]


def test_exactly_one_beat_and_no_feed_by_default() -> None:
    commands = [" ".join(_parse(UNITS / name)["Service"]["ExecStart"]) for name in SERVICES]
    assert sum(" beat " in f"{command} " for command in commands) == 1
    assert not any("manage.py feed" in command for command in commands)


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    """The units as installed, with /opt/argus pointed at this checkout and its interpreter."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    venv_bin = Path(sys.executable).parent
    for unit in UNITS.iterdir():
        text = unit.read_text().replace("/opt/argus/.venv/bin", str(venv_bin)).replace("/opt/argus", str(ROOT))
        (tmp_path / unit.name).write_text(text)
    units = sorted(str(p) for p in tmp_path.iterdir())
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True, timeout=60, check=False
    )
    problems = [line for line in result.stderr.splitlines() if any(Path(u).name in line for u in units)]
    assert result.returncode == 0 and problems == [], result.stderr
