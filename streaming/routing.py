"""WebSocket routes."""

from django.urls import URLPattern, path

from streaming.consumers import MarketDataConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/market_data", MarketDataConsumer.as_asgi()),
]
