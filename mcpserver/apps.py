from django.apps import AppConfig


class McpServerConfig(AppConfig):
    """The MCP server for LLM agents: tools and quote resources over stdio (`manage.py mcp_server`) and /mcp."""

    name = "mcpserver"
    verbose_name = "MCP server"
