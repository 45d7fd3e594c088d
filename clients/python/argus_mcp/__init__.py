"""Argus's Python client SDK: `from argus_mcp.client import ArgusMCPClient` (httpx and websockets, no Django).

`ArgusClient` is the blocking twin (`argus_mcp.sync`); market-data calls return `MarketDataResult`.
"""

from argus_mcp.client import ArgusMCPClient
from argus_mcp.exceptions import ArgusError
from argus_mcp.results import MarketDataResult
from argus_mcp.stream import Backoff
from argus_mcp.sync import ArgusClient

__all__ = ["ArgusClient", "ArgusError", "ArgusMCPClient", "Backoff", "MarketDataResult"]
__version__ = "1.1.0"
