"""DRF's default authentication. The middleware has already authenticated, authorised and counted
the request (monitoring.policy); this exposes the key to DRF views as `request.auth` and applies the
same rules to a view reached without the middleware (e.g. a test's APIRequestFactory)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from monitoring.middleware import client_ip
from monitoring.services.apikeys import raw_key_from_headers
from monitoring.services.guard import request_guard


class ApiKeyAuthentication(BaseAuthentication):
    """`request.auth` is the ApiKey the client presented (or None)."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        django_request = request._request
        if not hasattr(django_request, "argus_rate"):
            raw_key = raw_key_from_headers(
                request.headers.get("Authorization"),
                request.headers.get("X-API-Key"),
                request.META.get("QUERY_STRING", ""),
            )
            result = request_guard(
                path=request.path_info, method=request.method or "GET", raw_key=raw_key, ip=client_ip(django_request)
            )
            django_request.argus_api_key = result.api_key  # type: ignore[attr-defined]
            django_request.argus_rate = result.rate  # type: ignore[attr-defined]
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
