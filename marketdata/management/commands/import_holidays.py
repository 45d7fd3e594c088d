from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketdata.services.calendar import HolidayFileError, describe_sync, import_holidays


class Command(BaseCommand):
    help = (
        "Import the exchanges' published holiday notice: a YAML or CSV file of the closed weekdays per year "
        "(example: config/holidays.example.yaml). Each year listed becomes known (its other weekdays trade); "
        "the calendar is then re-synced, extending coverage."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="YAML (year: [dates]) or CSV (date[,market]) of closed dates")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            synced = import_holidays(options["file"])
        except HolidayFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("\n".join(describe_sync(synced)))
