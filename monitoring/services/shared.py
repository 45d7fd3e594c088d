"""Log throttling for failures that repeat on every request (Redis down). The Redis client is core.redis."""

from __future__ import annotations

import logging
import time

_last_warned: dict[str, float] = {}


def warn_every(logger: logging.Logger, what: str, exc: BaseException, seconds: float = 10.0) -> None:
    """Log a repeated failure (Redis down) once per `seconds`, not once per request."""
    now = time.monotonic()
    if now - _last_warned.get(what, -seconds) >= seconds:
        _last_warned[what] = now
        logger.warning("%s failed: %s", what, exc)
