"""Catch blocking calls made in a running event loop: a blocking socket used on the loop's thread,
a log record written to a file there, or a callback that holds the loop past a threshold.

`blocking_calls()` patches the standard library's socket class (sockets in blocking or timeout
mode only: the loop's own sockets are non-blocking) and `logging.FileHandler.emit`, and turns on
asyncio's debug mode's slow-callback report, for the block it wraps. Every call made on a thread
whose event loop is running is recorded with a short stack, so an assertion says where it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import traceback
from collections.abc import Iterator
from typing import Any

SOCKET_METHODS = ("connect", "connect_ex", "send", "sendall", "recv", "recv_into", "sendto", "recvfrom")


def _in_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class Recorder(logging.Handler):
    """The blocking calls seen, as 'what: where' lines; also the asyncio slow-callback warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.calls: list[str] = []

    def note(self, what: str) -> None:
        frames = [f for f in traceback.extract_stack()[:-2] if "/tests/support/blocking.py" not in f.filename]
        where = " <- ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} {f.name}" for f in frames[-4:][::-1])
        self.calls.append(f"{what}: {where}")

    def emit(self, record: logging.LogRecord) -> None:  # asyncio's "Executing <Handle ...> took 0.2 seconds"
        if "took" in record.getMessage():
            self.calls.append(f"slow callback: {record.getMessage()[:300]}")


@contextlib.contextmanager
def blocking_calls(slow_callback_seconds: float = 0.1) -> Iterator[Recorder]:
    """Record blocking calls in any running event loop for the duration of the block.

    Run the code under test with `asyncio.run(main(), debug=True)` and set the loop's
    `slow_callback_duration` from `recorder.slow_callback_seconds` (see `run_in_debug_loop`).
    """
    recorder = Recorder()
    recorder.slow_callback_seconds = slow_callback_seconds  # type: ignore[attr-defined]
    originals: dict[str, Any] = {name: getattr(socket.socket, name) for name in SOCKET_METHODS}
    file_emit = logging.FileHandler.emit

    def wrap(name: str, original: Any) -> Any:
        def checked(self: socket.socket, *args: Any, **kwargs: Any) -> Any:
            if _in_loop() and self.gettimeout() != 0.0:
                recorder.note(f"blocking socket.{name}")
            return original(self, *args, **kwargs)

        return checked

    def checked_emit(self: logging.FileHandler, record: logging.LogRecord) -> None:
        if _in_loop():
            recorder.note(f"log file write ({record.name})")
        file_emit(self, record)

    asyncio_log = logging.getLogger("asyncio")
    for name, original in originals.items():
        setattr(socket.socket, name, wrap(name, original))
    logging.FileHandler.emit = checked_emit  # type: ignore[method-assign]
    asyncio_log.addHandler(recorder)
    try:
        yield recorder
    finally:
        asyncio_log.removeHandler(recorder)
        logging.FileHandler.emit = file_emit  # type: ignore[method-assign]
        for name, original in originals.items():
            setattr(socket.socket, name, original)


def run_in_debug_loop(recorder: Recorder, main: Any) -> Any:
    """asyncio.run(main()) in debug mode, callbacks slower than the recorder's threshold reported."""

    async def wrapped() -> Any:
        asyncio.get_running_loop().slow_callback_duration = recorder.slow_callback_seconds  # type: ignore[attr-defined]
        return await main()

    return asyncio.run(wrapped(), debug=True)
