"""DRF's default authentication. The edge (monitoring/edge.py) has already authenticated, authorised
and counted the request; this only exposes its key to DRF views as `request.auth` (through the
middleware's `request_decide`, which reads the edge's decision, or takes it once without the edge)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from monitoring.middleware import request_decide


class ApiKeyAuthentication(BaseAuthentication):
    """`request.auth` is the ApiKey the client presented (or None)."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        django_request = request._request
        request_decide(django_request)
        key = getattr(django_request, "argus_api_key", None)
        return None if key is None else (None, key)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="argus"'


class ApiKeySchema(OpenApiAuthenticationExtension):
    """How the OpenAPI schema (drf-spectacular) describes API-key authentication."""

    target_class = "monitoring.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_requirement(self, auto_schema: Any) -> None:  # type: ignore[override]
        # Whether a key is needed depends on the deployment (monitoring.policy), not on the view, so
        # operations do not declare it; the scheme itself is listed under components.
        return None

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <key> (or X-API-Key)"}
