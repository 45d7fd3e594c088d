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
