"""ASGI entry point: /mcp to MCP, HTTP to Django, WebSocket to Channels, lifespan to the embedded scheduler."""

import os

from django.core.asgi import get_asgi_application

from argus_site.bootstrap import bootstrap

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "argus_site.settings.base")
bootstrap()
django_http = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from argus_site.lifespan import Lifespan  # noqa: E402
from core.limits import BodyLimit  # noqa: E402
from core.websocket import KnownPaths  # noqa: E402
from marketdata.fastpath import CachedReadFastPath  # noqa: E402
from mcpserver.http import MCPMount  # noqa: E402
from monitoring.edge import Edge  # noqa: E402
from monitoring.security import websocket_origin_validator  # noqa: E402
from streaming.routing import WEBSOCKET_PATHS, websocket_urlpatterns  # noqa: E402

# The edge, outermost, decides once per request and handshake (client, policy, key, rate limit;
# monitoring/edge.py) and everything behind it only reads that decision. Request bodies are bounded
# before anything reads them (core/limits.py); /mcp (MCP Streamable HTTP) is routed before Django,
# see mcpserver/http.py.
# Cached reads are answered in the event loop by the fast path, which the edge offers each
# admitted request first (before the layers below); everything else goes to Django.
fast_path = CachedReadFastPath(django_http) if settings.ARGUS_HTTP_FAST_PATH else None
application = Edge(
    BodyLimit(
        MCPMount(
            Lifespan(
                ProtocolTypeRouter(
                    {
                        "http": django_http,
                        # Unknown paths (/ws/other, /ws/market_data/) get 404 NOT_FOUND, not a router error.
                        "websocket": KnownPaths(
                            websocket_origin_validator(URLRouter(websocket_urlpatterns)), WEBSOCKET_PATHS
                        ),
                    }
                )
            )
        ),
        lambda: settings.DATA_UPLOAD_MAX_MEMORY_SIZE,  # ARGUS_MAX_REQUEST_BYTES
    ),
    fast=fast_path,
)
