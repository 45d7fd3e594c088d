from django.apps import AppConfig


class MarketDataConfig(AppConfig):
    name = "marketdata"
    verbose_name = "Market data"

    def ready(self) -> None:
        from cachemgr.keys import register_scope_token
        from marketdata.calendar import db_calendar
        from marketdata.services.calendar import calendar_days_left
        from marketdata.services.health import probe_calendar, probe_source
        from marketdata.sources import source_scope_token
        from marketdata.sources.files import dataset_changed
        from monitoring.services.alerts import register_metric
        from monitoring.services.health import register_probe
        from pools.services.health import register_trading_day

        register_trading_day(lambda day: db_calendar.is_trading_day("SH", day))
        register_probe("xtquant", probe_source)  # the spec's name for the data-source service
        register_scope_token(source_scope_token)  # the files dataset's version, what upstream nodes serve
        dataset_changed.connect()
        register_probe("calendar", probe_calendar, service=False)  # the horizon: details.calendar
        register_metric("calendar_days_left", calendar_days_left)
