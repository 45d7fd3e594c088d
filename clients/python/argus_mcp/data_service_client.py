"""The user guide's name for the SDK client (`from argus_mcp.data_service_client import DataServiceClient`)."""

from argus_mcp.client import ArgusMCPClient as DataServiceClient

__all__ = ["DataServiceClient"]
