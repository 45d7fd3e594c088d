from django.apps import AppConfig


class StreamingConfig(AppConfig):
    """Live quotes: the feed, the one tick ingest, the shared stream store, fan-out and /ws/market_data."""

    name = "streaming"
    verbose_name = "Live quotes"

    def ready(self) -> None:
        from monitoring.edge import register_handshake_key_cache
        from monitoring.services.health import register_probe
        from streaming.keys import connect_signals, handshake_key_cache
        from streaming.services.health import probe_feed

        connect_signals()
        register_probe("feed", probe_feed, service=False)
        # The edge checks handshake keys through the hub's cache (forgotten when a key changes).
        register_handshake_key_cache(handshake_key_cache)
