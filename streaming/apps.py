from django.apps import AppConfig


class StreamingConfig(AppConfig):
    """Live quotes: the feed, the one tick ingest, the shared stream store, fan-out and /ws/market_data."""

    name = "streaming"
    verbose_name = "Live quotes"

    def ready(self) -> None:
        from streaming.keys import connect_signals

        connect_signals()
