"""Argus's Python client SDK: `from argus_mcp.client import ArgusMCPClient` (httpx and websockets, no Django)."""

from argus_mcp.client import ArgusMCPClient
from argus_mcp.exceptions import ArgusError

__all__ = ["ArgusError", "ArgusMCPClient"]
__version__ = "1.0.0"
