import contextlib
import signal
import threading
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from streaming.services.feed import feed_poll, feed_poll_run
from streaming.services.feed_push import feed_push_run, push_source


class Command(BaseCommand):
    help = (
        "Run the live-quote feed as its own process until SIGTERM/SIGINT: poll the source every "
        "ARGUS_FEED_INTERVAL (default), or ingest what the xtquant source pushes (--mode push)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mode", choices=("poll", "push"), default="poll", help="how ticks come in")
        parser.add_argument("--once", action="store_true", help="poll once, print the result and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            if options["mode"] != "poll":
                raise CommandError("--once polls once; it does not go with --mode push")
            self.stdout.write(orjson.dumps(asdict(feed_poll())).decode())
            return
        if options["mode"] == "push":
            try:
                push_source()
            except ImproperlyConfigured as exc:
                raise CommandError(str(exc)) from exc
        if not settings.USE_REDIS:
            raise CommandError(
                "a feed process of its own reaches the web processes only through Redis: set REDIS_URL (the "
                "embedded default runs the feed inside `manage.py serve`)"
            )
        stop = threading.Event()
        with _stopped_by_signals(stop):
            (feed_push_run if options["mode"] == "push" else feed_poll_run)(stop)


@contextlib.contextmanager
def _stopped_by_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop`, so the feed finishes its step, unsubscribes and frees its lock."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread (tests call the command elsewhere)
        return
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
