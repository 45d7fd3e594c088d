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
"""

from __future__ import annotations

import asyncio
import atexit
import copy
import logging
import logging.config
import queue
import threading
import traceback
from typing import Any

QUEUE_SIZE = 100_000
_queue: queue.Queue[tuple[logging.Handler, logging.LogRecord] | None] = queue.Queue(QUEUE_SIZE)
_writer: threading.Thread | None = None
_writer_lock = threading.Lock()


def _in_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _write() -> None:
    while True:
        item = _queue.get()
        try:
            if item is None:
                return
            handler, record = item
            try:
                handler.handle(record)
            except Exception:
                handler.handleError(record)
        finally:
            _queue.task_done()


def _ensure_writer() -> None:
    global _writer
    if _writer is not None and _writer.is_alive():
        return
    with _writer_lock:
        if _writer is None or not _writer.is_alive():  # also after a fork: the thread did not come along
            _writer = threading.Thread(target=_write, name="argus-log-writer", daemon=True)
            _writer.start()


class Deferred(logging.Handler):
    """Hands records emitted in an event loop to the writer thread; writes the others at once."""

    def __init__(self, target: logging.Handler) -> None:
        super().__init__(target.level)
        self.target = target

    def handle(self, record: logging.LogRecord) -> bool:
        if not _in_loop():
            return bool(self.target.handle(record))
        rendered = copy.copy(record)
        rendered.msg, rendered.args = record.getMessage(), None
        if record.exc_info:
            rendered.exc_text = record.exc_text or "".join(traceback.format_exception(*record.exc_info)).rstrip()
            rendered.exc_info = None
        _ensure_writer()
        try:
            _queue.put_nowait((self.target, rendered))
        except queue.Full:
            return bool(self.target.handle(rendered))
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
    done = threading.Event()

    def wait() -> None:
        _queue.join()
        done.set()

    threading.Thread(target=wait, daemon=True).start()
    return done.wait(timeout)


atexit.register(logs_flush, 2.0)
