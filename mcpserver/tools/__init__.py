"""The MCP tools. Each is thin: parse arguments, call one selector, shape the answer (results.py)."""

from __future__ import annotations

from typing import Any

from mcpserver.tools import history, quotes, recorded, reference


def register(server: Any) -> None:
    """Add every tool to `server`."""
    quotes.register(server)
    history.register(server)
    reference.register(server)
    recorded.register(server)
