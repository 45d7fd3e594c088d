from typing import Any

from django.core.management.base import BaseCommand

from marketdata.services.calendar import calendar_sync
from marketdata.services.instruments import instruments_sync


class Command(BaseCommand):
    help = (
        "Load reference data: the trading calendar, then the data source's instruments (new ones added;"
        " existing rows only get empty fields filled, so edits made in the admin are kept)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        synced = calendar_sync()
        self.stdout.write(
            "calendar: " + ", ".join(f"{m} {s.days} days to {s.covered_until}" for m, s in synced.items())
        )
        result = instruments_sync()
        self.stdout.write(
            f"instruments: {result['created']} created, {result['updated']} with empty fields filled"
            " (fields holding a value are never overwritten)"
        )
