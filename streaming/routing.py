"""WebSocket routes."""

from django.urls import URLPattern, path

from streaming.consumers import MarketDataConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/market_data", MarketDataConsumer.as_asgi()),
]

# The paths above, exactly (no trailing slash variants): anything else is refused by KnownPaths.
WEBSOCKET_PATHS = frozenset({"/ws/market_data"})
