from typing import Any

from django.core.management.base import BaseCommand

from marketdata.services.calendar import calendar_sync


class Command(BaseCommand):
    help = "Sync the SH, SZ and BJ trading calendars from exchange-calendars (XSHG)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = calendar_sync()
        self.stdout.write(", ".join(f"{market}: {n} trading days" for market, n in counts.items()))
