"""The MCP tools. Each is thin: parse arguments, call one selector, shape the answer (results.py)."""

from __future__ import annotations

from typing import Any

from argus_mcp.tools import reference


def register(server: Any) -> None:
    """Add every tool to `server`."""
    reference.register(server)
