"""A guard for the /mcp hook (ARGUS_MCP_HTTP_GUARD) that wants an X-API-Key header, as API keys would."""

from __future__ import annotations

from collections.abc import Mapping

from core.errors import Unauthorized


def require_test_key(headers: Mapping[str, str], client_ip: str) -> None:
    if headers.get("x-api-key") != "test-key":
        raise Unauthorized("send the X-API-Key header with a valid key")
