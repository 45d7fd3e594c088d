"""ASGI entry point: HTTP to Django, WebSocket to Channels, lifespan to the embedded scheduler."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "argus_site.settings.base")
django_http = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from argus_site.lifespan import Lifespan  # noqa: E402
from marketdata.routing import websocket_urlpatterns  # noqa: E402
from monitoring.security import websocket_origin_validator  # noqa: E402

application = Lifespan(
    ProtocolTypeRouter(
        {
            "http": django_http,
            "websocket": websocket_origin_validator(URLRouter(websocket_urlpatterns)),
        }
    )
)
