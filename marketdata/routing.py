"""WebSocket routes."""

from django.urls import URLPattern, path

from marketdata.consumers import MarketDataConsumer

websocket_urlpatterns: list[URLPattern] = [
    path("ws/market_data", MarketDataConsumer.as_asgi()),
]
