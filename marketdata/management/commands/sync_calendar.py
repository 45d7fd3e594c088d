from typing import Any

from django.core.management.base import BaseCommand

from marketdata.services.calendar import calendar_sync, describe_sync


class Command(BaseCommand):
    help = (
        "Merge the trading calendar's layers (exchange-calendars XSHG, the data source's own calendar, "
        "imported holiday notices) for SH, SZ and BJ, and report what each layer added."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("\n".join(describe_sync(calendar_sync())))
