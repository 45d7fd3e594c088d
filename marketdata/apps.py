from django.apps import AppConfig


class MarketDataConfig(AppConfig):
    name = "marketdata"
    verbose_name = "Market data"

    def ready(self) -> None:
        from marketdata.calendar import db_calendar
        from pools.services.health import register_trading_day

        register_trading_day(lambda day: db_calendar.is_trading_day("SH", day))
