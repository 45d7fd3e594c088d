"""Loaded (via PYTHONPATH) by every Python process of the faked-clock stage (scripts/test-faketime).

libfaketime 0.9.10 runs with FAKETIME_DONT_FAKE_MONOTONIC=1 there (a faked monotonic clock hangs every
timed wait: Event.wait, Thread.join, Lock.acquire with a timeout). CPython's time.sleep still sleeps
with clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME), which libfaketime then answers with EINVAL;
a select()-based sleep waits the same relative time without it.
"""

import os
import select
import time

if os.environ.get("FAKETIME") or os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC"):

    def _sleep(secs: float) -> None:
        if secs < 0:
            raise ValueError("sleep length must be non-negative")
        select.select([], [], [], secs)

    time.sleep = _sleep
