"""WebSocket origin validation, consistent with CORS: ALLOWED_HOSTS plus ARGUS_CORS_ALLOWED_ORIGINS."""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult

from channels.security.websocket import OriginValidator
from django.conf import settings


class BrowserOriginValidator(OriginValidator):
    """Refuses browser pages from other origins; clients that send no Origin (not browsers) pass.

    Cross-site WebSocket hijacking needs a browser, and browsers always send Origin; scripts and
    SDKs usually do not, and they authenticate with API keys instead.
    """

    def valid_origin(self, parsed_origin: ParseResult | None) -> bool:
        if parsed_origin is None:
            return True
        return bool(self.validate_origin(parsed_origin))


def websocket_origin_validator(app: Any) -> BrowserOriginValidator:
    """Wrap the WebSocket router with the configured origins."""
    allowed = [*settings.ALLOWED_HOSTS, *settings.ARGUS_CORS_ALLOWED_ORIGINS]
    return BrowserOriginValidator(app, allowed)
