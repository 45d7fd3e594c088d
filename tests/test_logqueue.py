"""core/logqueue.py: records emitted in the event loop are written by the writer thread, each
handler getting the same text it would have written at once; records elsewhere are written at once."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from core import logqueue


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, str]] = []
        self.setFormatter(logging.Formatter("%(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((threading.current_thread().name, self.format(record)))


def _logger(*handlers: logging.Handler) -> logging.Logger:
    logger = logging.getLogger("argus.test_logqueue")
    logger.handlers = [logqueue.Deferred(h) for h in handlers]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def test_loop_records_are_written_by_the_writer_with_their_arguments_fixed_then() -> None:
    first, second = Collect(), Collect()
    logger = _logger(first, second)
    values = {"n": 1}

    async def emit() -> None:
        for index in range(200):
            logger.info("line %s of %s", index, values)
        values["n"] = 2  # a later change to an argument does not show in the line

    asyncio.run(emit())
    assert logqueue.logs_flush(5.0)
    expected = [f"argus.test_logqueue line {i} of {{'n': 1}}" for i in range(200)]
    for handler in (first, second):
        assert [line for _, line in handler.lines] == expected  # every line, in order, to each handler
        assert {thread for thread, _ in handler.lines} == {"argus-log-writer"}


def test_records_outside_a_loop_and_over_the_bound_are_written_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    collect = Collect()
    logger = _logger(collect)
    logger.info("from a thread")
    assert collect.lines == [(threading.current_thread().name, "argus.test_logqueue from a thread")]
    monkeypatch.setattr(logqueue, "QUEUE_SIZE", 0)  # the queue is full: written at once rather than lost

    async def emit() -> None:
        logger.info("over the bound")

    asyncio.run(emit())
    assert collect.lines[-1] == (threading.current_thread().name, "argus.test_logqueue over the bound")


def test_an_exception_is_rendered_with_its_traceback_in_the_loop() -> None:
    collect = Collect()
    logger = _logger(collect)

    async def emit() -> None:
        try:
            raise ValueError("bad value")
        except ValueError:
            logger.exception("failed")

    asyncio.run(emit())
    assert logqueue.logs_flush(5.0)
    text = collect.lines[-1][1]
    assert text.startswith("argus.test_logqueue failed") and "ValueError: bad value" in text


def test_a_batch_is_written_as_one_by_one_would_and_rotates_at_the_same_place(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The writer drains a burst and writes it at once; a rotated file still rotates where it would
    have, record by record (the same bytes in each file), and the time prefix is logging's own."""
    import logging.handlers

    def rotating(name: str) -> logging.handlers.RotatingFileHandler:
        handler = logging.handlers.RotatingFileHandler(tmp_path / name, maxBytes=4000, backupCount=9, delay=True)
        handler.setFormatter(logqueue.TimeCachedFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        return handler

    batched = rotating("batched.log")
    logger = _logger(batched)

    async def emit() -> None:
        for index in range(300):
            logger.info("line %04d", index)

    asyncio.run(emit())
    assert logqueue.logs_flush(5.0)
    batched.close()
    # The same records, written one by one by a plain formatter (created times copied from the files).
    written = sorted(tmp_path.glob("batched.log*"), key=lambda p: -int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0)
    lines = [line for path in written for line in path.read_text().splitlines()]
    assert [line[-9:] for line in lines] == [f"line {i:04d}" for i in range(300)]
    plain, cached = logging.Formatter(), logqueue.TimeCachedFormatter()
    for created in (1_800_000_000.0, 1_800_000_000.999, 1_800_000_001.25, 1_800_000_000.5, 1_800_086_400.0):
        record = logging.makeLogRecord({"created": created, "msecs": (created % 1) * 1000})
        assert cached.formatTime(record) == plain.formatTime(record)  # asctime is logging's own text
    line_bytes = len(lines[0]) + 1
    assert len(written) == 5
    for path in written[:-1]:  # every rotated file was full: one more line would have passed the bound
        assert path.stat().st_size < 4000 <= path.stat().st_size + line_bytes
