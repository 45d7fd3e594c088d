"""Log records emitted in the event loop are written by a background thread, never by the loop.

`configure` is Django's LOGGING_CONFIG: it applies the LOGGING dict as usual, then wraps every
handler it made (the log files and the console) in a `Deferred` handler. A record emitted on a
thread whose asyncio event loop is running (the edge's and the fast path's access-log lines, the
hub's, the consumer's) is rendered there (its message and traceback text fixed, so later changes
to its arguments do not show) and put on one bounded queue; the writer thread hands it to the real
handler, which filters (API keys masked), formats and writes the same line as before. A record
emitted anywhere else (Django's worker threads, commands, Celery) is written at once, as before:
those threads may wait for a disk, the loop may not. If the queue is full (the disk far behind),
the record is written at once rather than lost. `logs_flush()` waits until the queue is written
(tests reading a log file; the process's exit).

The loop's share is kept small (the access log writes a line per request): a record is rendered
once for all its handlers (in place: its message fixed as text; a copy only when it carries a
traceback), the queue is a deque (an append; the writer is woken only when it sleeps), and no
caller frame is looked up for our records (`logging._srcfile = None`, the logging HOWTO's
optimisation: our format has no file, line or function name).

The writer's share counts too, since it holds the same GIL as the loop: at INFO every request's
line cost the loop's process about 45 % of its cached /latest throughput when each line was its own
wake-up, `stat`, `write` and `flush` per handler (bench/http_api.py). The writer therefore wakes
at most every COALESCE_SECONDS, drains what came meanwhile, and writes each stream handler's
lines (console, rotated files) in one `write` and one `flush`; a batch that would cross a file's
rotation size is written record by record, so files rotate exactly where they did. Other handler
classes get each record through their own `handle`, as before. The formatter of our configuration
(`TimeCachedFormatter`) renders the date part of `asctime` once per second.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import logging.config
import logging.handlers
import threading
import time
import traceback
from collections import deque
from typing import Any

QUEUE_SIZE = 100_000
# The writer sleeps this long after a wake-up before it drains the queue: the lines of a burst are
# written together (a line reaches its file at most this much later).
COALESCE_SECONDS = 0.02
_pending: deque[tuple[logging.Handler, logging.LogRecord]] = deque()
_wake = threading.Event()  # set while there may be records the writer has not seen
_busy = False  # the writer is handing a record to its handler
_writer: threading.Thread | None = None
_writer_lock = threading.Lock()
_RENDERED = "_argus_rendered"  # the record's rendered copy, shared by its handlers


def _in_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _write() -> None:
    global _busy
    while True:
        _wake.wait()
        time.sleep(COALESCE_SECONDS)
        _busy = True  # before draining: logs_flush must not see an empty deque and an idle writer meanwhile
        _wake.clear()  # an append from now on sets it again (and is drained by the next round)
        batch: dict[logging.Handler, list[logging.LogRecord]] = {}
        while True:
            try:
                handler, record = _pending.popleft()
            except IndexError:
                break
            batch.setdefault(handler, []).append(record)
        for handler, records in batch.items():
            _write_batch(handler, records)
        _busy = False


def _write_batch(handler: logging.Handler, records: list[logging.LogRecord]) -> None:
    """`records` as `handler` writes them one by one, in one write and one flush where it is a
    plain stream or rotated file handler (whose `emit` we know)."""
    if type(handler) not in (logging.StreamHandler, logging.handlers.RotatingFileHandler):
        for record in records:
            _handle(handler, record)
        return
    lines: list[str] = []
    for record in records:
        try:
            if handler.filter(record):
                lines.append(handler.format(record) + handler.terminator)  # type: ignore[attr-defined]
        except Exception:
            handler.handleError(record)
    if not lines:
        return
    text = "".join(lines)
    with handler.lock or contextlib.nullcontext():
        try:
            if isinstance(handler, logging.handlers.RotatingFileHandler):
                if handler.stream is None:
                    handler.stream = handler._open()
                if handler.maxBytes > 0 and handler.stream.tell() + len(text) >= handler.maxBytes:
                    rotating = True
                else:
                    rotating = False
            else:
                rotating = False
            if not rotating:
                handler.stream.write(text)  # type: ignore[attr-defined]
                handler.flush()
                return
        except Exception:
            handler.handleError(records[-1])
            return
    for record in records:  # crosses the rotation size: exactly as one by one
        _handle(handler, record)


def _handle(handler: logging.Handler, record: logging.LogRecord) -> None:
    try:
        handler.handle(record)
    except Exception:
        handler.handleError(record)


def _ensure_writer() -> None:
    global _writer
    if _writer is not None and _writer.is_alive():
        return
    with _writer_lock:
        if _writer is None or not _writer.is_alive():  # also after a fork: the thread did not come along
            _writer = threading.Thread(target=_write, name="argus-log-writer", daemon=True)
            _writer.start()


def _render(record: logging.LogRecord) -> logging.LogRecord:
    """`record` with its message (and traceback) fixed as text now: in place, since every handler
    gets the same text; a copy when it carries a traceback (whose exc_info the caller may still read)."""
    if not record.exc_info:
        record.msg, record.args = record.getMessage(), None
        return record
    rendered: logging.LogRecord = object.__new__(logging.LogRecord)
    rendered.__dict__.update(record.__dict__)
    rendered.msg, rendered.args = record.getMessage(), None
    rendered.exc_text = record.exc_text or "".join(traceback.format_exception(*record.exc_info)).rstrip()
    rendered.exc_info = None
    return rendered


class TimeCachedFormatter(logging.Formatter):
    """logging.Formatter whose default `asctime` (`2026-12-03 10:35:58,909`) formats its date and
    time part once per second: the same text, without a strftime per line."""

    _second = -1
    _text = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None or self.converter is not time.localtime:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        if second != self._second:
            self._text = time.strftime(self.default_time_format, self.converter(record.created))
            self._second = second
        return (self.default_msec_format or "%s,%03d") % (self._text, record.msecs)


class Deferred(logging.Handler):
    """Hands records emitted in an event loop to the writer thread; writes the others at once."""

    def __init__(self, target: logging.Handler) -> None:
        super().__init__(target.level)
        self.target = target

    def handle(self, record: logging.LogRecord) -> bool:
        if not _in_loop():
            return bool(self.target.handle(record))
        rendered = record.__dict__.get(_RENDERED)
        if rendered is None:
            rendered = _render(record)
            record.__dict__[_RENDERED] = rendered
            rendered.__dict__[_RENDERED] = rendered
        _ensure_writer()
        if len(_pending) >= QUEUE_SIZE:
            return bool(self.target.handle(rendered))
        _pending.append((self.target, rendered))
        if not _wake.is_set():
            _wake.set()
        return True

    def emit(self, record: logging.LogRecord) -> None:  # not reached: handle() is overridden
        self.target.emit(record)

    def flush(self) -> None:
        self.target.flush()

    def close(self) -> None:
        self.target.close()
        super().close()


def configure(config: dict[str, Any]) -> None:
    """LOGGING_CONFIG: dictConfig(config), then every configured handler behind a Deferred one."""
    logging.config.dictConfig(config)
    logging._srcfile = None  # no caller lookup per record (see the module doc)
    names = [None, *config.get("loggers", {})]
    wrapped: dict[int, Deferred] = {}
    for name in names:
        logger = logging.getLogger(name)
        handlers: list[logging.Handler] = []
        for handler in logger.handlers:
            if isinstance(handler, Deferred):
                handlers.append(handler)
                continue
            deferred = wrapped.get(id(handler))
            if deferred is None:
                deferred = wrapped[id(handler)] = Deferred(handler)
            handlers.append(deferred)
        logger.handlers = handlers


def logs_flush(timeout: float = 5.0) -> bool:
    """Wait (at most `timeout` s) until every queued record is written; True when it is."""
    deadline = time.monotonic() + timeout
    while _pending or _busy:
        if _writer is None or not _writer.is_alive() or time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


atexit.register(logs_flush, 2.0)
