"""What the user guide's modules share: a base URL (argument, else ARGUS_URL at each call, else
http://localhost:8001), an API key and a timeout, and one REST call through a short-lived client."""

from __future__ import annotations

from typing import Any

from argus_mcp import calls
from argus_mcp.calls import Call
from argus_mcp.client import ArgusMCPClient


class RestModule:
    def __init__(self, base_url: str | None = None, *, api_key: str | None = None, timeout: float = 30.0) -> None:
        self._base_url = base_url
        self.api_key = api_key
        self.timeout = timeout

    @property
    def base_url(self) -> str:
        return calls.default_base_url(self._base_url)

    async def _call(self, call: Call) -> Any:
        async with ArgusMCPClient(self.base_url, api_key=self.api_key, timeout=self.timeout) as client:
            return await client._call(call)
