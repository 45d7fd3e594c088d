"""The MCP server factory: tools and quote resources over the same selectors and contract as REST."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, SubscribeRequestParams, UnsubscribeRequestParams
from pydantic import ValidationError

from mcpserver import quote_resource, tools
from mcpserver.resources import QuoteSubscriptions
from mcpserver.results import tool_error

INSTRUCTIONS = (
    "Argus serves China A-share market data (Shanghai .SH, Shenzhen .SZ, Beijing .BJ). Symbols are six "
    "digits, a dot and the market, e.g. 000001.SZ; use search_instruments to find one from a name. Every "
    "result carries its provenance under `source`: the data source, whether it is simulated, and its as-of "
    "time (UTC). Long results are paged: when truncated is true, call again with next_cursor. Quotes are "
    "also resources (quote://000001.SZ) that can be read and subscribed to for live updates."
)


def _argument_problems(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "arguments"
        parts.append(f"{field}: {error['msg']}")
    return "; ".join(parts)


class ArgusMCPServer(MCPServer[Any]):
    """MCPServer whose argument errors are tool errors with the spec's INVALID_PARAMETER code."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        if self._tool_manager.get_tool(name) is None:
            listed = ", ".join(tool.name for tool in self._tool_manager.list_tools())
            return tool_error("NOT_FOUND", f"no tool named {name!r}; the tools are: {listed}")
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                return tool_error("INVALID_PARAMETER", _argument_problems(exc.__cause__))
            raise


def build_server() -> ArgusMCPServer:
    """A new MCP server with every Argus tool and resource registered."""
    subscriptions = QuoteSubscriptions()
    server = ArgusMCPServer(
        name="argus",
        title="Argus A-share market data",
        instructions=INSTRUCTIONS,
        version=settings.ARGUS_VERSION,
        subscriptions=subscriptions,
    )
    tools.register(server)
    quote_resource.register(server)
    lowlevel = server._lowlevel_server
    lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, subscriptions.on_subscribe)
    lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, subscriptions.on_unsubscribe)
    return server


__all__ = ["ArgusMCPServer", "CallToolResult", "build_server"]
