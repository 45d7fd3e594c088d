"""`manage.py preload_cache 000001.SZ 600000.SH ...`: load hot symbols into the cache levels."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cachemgr.models import CacheRule
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
        self.stdout.write(reach_note())


def reach_note() -> str:
    """What a running server gets of this command's preload: only the levels shared between processes.

    This command is a process of its own; its L1 is its own memory. With Redis, L2 (Redis) and L3
    (the database table) are shared, so running servers read the preloaded entries from L2 and fill
    their L1 on first use. Without Redis (the embedded default) L2 is in-process memory too, so a
    running server gets only the rules kept in L3.
    """
    if settings.USE_REDIS:
        return (
            "reached the shared levels: L2 (Redis) and L3 (database); running servers fill their own L1"
            " from L2 on the next read"
        )
    shared = sorted(CacheRule.objects.filter(level="L3").values_list("name", flat=True))
    return (
        "note: without Redis this command's L1 and L2 are its own memory, gone when it exits; a running"
        f" server gets only what went to L3, the database table ({', '.join(shared) or 'no rule is kept in L3'})."
        " To warm a running embedded server, use the admin action on Instruments, which runs inside it."
    )
