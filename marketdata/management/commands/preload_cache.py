"""`manage.py preload_cache 000001.SZ 600000.SH ...`: load hot symbols into the cache levels."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketdata.services.preload import cache_preload
from marketdata.symbols import InvalidSymbol, parse_symbol


class Command(BaseCommand):
    help = "Preload latest quotes, instrument info and recent daily bars of hot symbols into the cache."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("symbols", nargs="+", help="symbols such as 000001.SZ (commas also separate)")

    def handle(self, *args: Any, **options: Any) -> None:
        raw = [part for arg in options["symbols"] for part in arg.split(",") if part.strip()]
        try:
            symbols = [parse_symbol(s.strip()).symbol for s in raw]
        except InvalidSymbol as exc:
            raise CommandError(str(exc)) from exc
        report = cache_preload(symbols)
        loaded = ", ".join(f"{rule} {count}" for rule, count in report.loaded.items())
        self.stdout.write(f"preloaded {len(symbols) - len(report.unknown)} symbols: {loaded}")
        if report.unknown:
            self.stderr.write(f"unknown to the data source: {', '.join(report.unknown)}")
