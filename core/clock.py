"""The one clock: every reading of market or wall time goes through here.

Code never calls `datetime.now()`, `timezone.now()`, `date.today()` or `time.time()` for the
market's time; it asks `now()` (an aware UTC datetime) or `shanghai_now()`. Tests pin the clock
with `frozen(instant)` (or `set_now`/`reset`), and a whole process tree can be shifted alike with
libfaketime (the suite's faked-clock stage), because the default reading is the system clock.

Durations and timeouts are not market time: they keep using `time.monotonic()`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_lock = threading.Lock()
_source: Callable[[], datetime] | None = None


def _system() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """The current instant, aware, in UTC."""
    source = _source
    return source() if source is not None else _system()


def shanghai_now() -> datetime:
    """The current instant in Asia/Shanghai (the exchanges' zone)."""
    return now().astimezone(SHANGHAI)


def shanghai_today() -> date:
    """Today's date in Asia/Shanghai (not the machine's zone)."""
    return shanghai_now().date()


def timestamp() -> float:
    """Seconds since the epoch, from the same clock as `now()`."""
    return now().timestamp()


def iso_now(timespec: str = "seconds") -> str:
    """`now()` as ISO 8601 with a `Z` suffix, as every envelope and push states its time."""
    return now().isoformat(timespec=timespec).replace("+00:00", "Z")


def set_source(source: Callable[[], datetime] | None) -> None:
    """Replace the clock's reading (None restores the system clock)."""
    global _source
    with _lock:
        _source = source


class FrozenClock:
    """A clock standing at one instant until moved; `advance()` moves it."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("a frozen clock needs an aware datetime")
        self._instant = instant.astimezone(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._instant

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        with self._lock:
            self._instant += timedelta(seconds=seconds, **delta)
            return self._instant

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._instant = instant.astimezone(UTC)


def set_now(instant: datetime) -> FrozenClock:
    """Pin the clock at `instant` (aware) until `reset()`; returns the clock to move it."""
    clock = FrozenClock(instant)
    set_source(clock)
    return clock


def reset() -> None:
    """Back to the system clock."""
    set_source(None)


@contextmanager
def frozen(instant: datetime) -> Iterator[FrozenClock]:
    """`with frozen(instant) as clock:` pins the clock for the block, then restores the previous one."""
    previous = _source
    clock = FrozenClock(instant)
    set_source(clock)
    try:
        yield clock
    finally:
        set_source(previous)
