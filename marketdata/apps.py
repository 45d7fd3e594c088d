from django.apps import AppConfig


class MarketDataConfig(AppConfig):
    name = "marketdata"
    verbose_name = "Market data"

    def ready(self) -> None:
        from marketdata.calendar import db_calendar
        from marketdata.services.health import probe_source
        from monitoring.services.health import register_probe
        from pools.services.health import register_trading_day

        register_trading_day(lambda day: db_calendar.is_trading_day("SH", day))
        register_probe("xtquant", probe_source)  # the spec's name for the data-source service
