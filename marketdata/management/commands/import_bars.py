from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketdata.services.bars import BarsImportError, bars_import


class Command(BaseCommand):
    help = "Import daily bars (CSV or Parquet: date,open,high,low,close,volume[,amount]) all-or-nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="files; the symbol is the name's prefix")
        parser.add_argument("--symbol", help="the symbol for every file, e.g. 000001.SZ (else from the file name)")
        parser.add_argument("--period", default="1d", help="bar period (only 1d)")
        parser.add_argument(
            "--allow-limit-breach",
            metavar="REASON",
            help="accept closes outside the board's daily limit, saying why (IPO days, resumed trading)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = bars_import(
                options["paths"],
                symbol=options["symbol"],
                period=options["period"],
                allow_limit_breach=options["allow_limit_breach"],
            )
        except BarsImportError as exc:
            raise CommandError(str(exc)) from exc
        for symbol, count in counts.items():
            self.stdout.write(f"{symbol}: {count} bars")
