"""When this process started, as a wall-clock instant (time.time()), so uptimes can span processes.

Not market time (that is core.clock's): the service's uptime is the age of its oldest live process,
which needs an instant every process can compare, across workers and hosts.
"""

from __future__ import annotations

import time

STARTED_AT = time.time()


def uptime_since(started_at: float) -> int:
    """Whole seconds since `started_at` (never negative)."""
    return max(0, int(time.time() - started_at))
