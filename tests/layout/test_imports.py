"""Imports flow one way: core <- cachemgr <- monitoring <- pools <- marketdata <- streaming <- mcpserver <- argus_site.

Counted from the source, not from what happens to be imported at run time: every `import`, every
`from ... import`, and every string that spells a dotted path into another package (settings-style
references such as "pools.upstream.UpstreamSource" are imports too, only later).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Bottom to top: a package may import only packages to its left.
LAYERS = ["core", "cachemgr", "monitoring", "pools", "marketdata", "streaming", "mcpserver", "argus_site"]
DOTTED = re.compile(r"[a-z_]+(\.[A-Za-z_][A-Za-z0-9_]*)+")


def _packages() -> set[str]:
    return {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name not in ("tests", "bench")}


def _edges() -> dict[tuple[str, str], list[str]]:
    packages = _packages()
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                elif isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED.fullmatch(node.value):
                    names = [node.value]
                for name in names:
                    target = name.split(".")[0]
                    if target in packages and target != package:
                        edges[(package, target)].append(f"{path.relative_to(ROOT)}: {name}")
    return edges


def test_every_package_has_a_layer() -> None:
    assert _packages() == set(LAYERS), "add the new package to LAYERS (and to docs/architecture.md)"


def test_imports_flow_one_way() -> None:
    upward = {
        (source, target): where
        for (source, target), where in _edges().items()
        if LAYERS.index(target) > LAYERS.index(source)
    }
    assert not upward, "imports against the layering:\n" + "\n".join(
        f"{source} -> {target}: {where[:3]}" for (source, target), where in sorted(upward.items())
    )


def test_no_import_cycle_between_packages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in _edges():
        graph[source].add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        following = graph.get(start, set())
        return goal in following or any(reaches(n, goal, seen | {n}) for n in following - seen)

    cycles = sorted(p for p in list(graph) if reaches(p, p, {p}))
    assert not cycles, f"packages on an import cycle: {cycles}"


def test_no_app_imports_the_composition_root() -> None:
    importers = sorted({source for source, target in _edges() if target == "argus_site"})
    assert importers == []


def test_the_client_sdk_needs_no_django() -> None:
    client = ROOT / "clients" / "python" / "argus_mcp"
    for path in client.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for module in modules:
                    top = module.split(".")[0]
                    assert top not in _packages() | {"django", "rest_framework", "channels"}, f"{path}: {module}"


@pytest.mark.slow
def test_the_client_sdk_installs_and_imports_in_a_fresh_venv(tmp_path: Path, settings: Any) -> None:
    if getattr(settings, "ARGUS_TEST_SERVICES", False):
        pytest.skip("once per suite: runs in the embedded pass")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = [
        str(python),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        str(ROOT / "clients/python"),
    ]
    subprocess.run(install, check=True, timeout=300, cwd=tmp_path)
    probe = (
        "import sys\n"
        "from argus_mcp.client import ArgusMCPClient\n"
        "from argus_mcp.data_service_client import DataServiceClient\n"
        "assert DataServiceClient is ArgusMCPClient\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'the SDK imported Django'\n"
        "try:\n    import django\nexcept ImportError:\n    print('no django')\n"
    )
    result = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no django"
