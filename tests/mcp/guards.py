"""A guard for the /mcp hook (ARGUS_MCP_HTTP_GUARD) that wants an X-Test-Token header.

(API keys themselves are the edge's, monitoring/edge.py: an unknown X-API-Key is refused there.)
"""

from __future__ import annotations

from collections.abc import Mapping

from core.errors import Unauthorized


def require_test_key(headers: Mapping[str, str], client_ip: str) -> None:
    if headers.get("x-test-token") != "test-key":
        raise Unauthorized("send the X-Test-Token header with a valid token")
