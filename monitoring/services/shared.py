"""The shared Redis connection monitoring uses (None in the embedded default), and log throttling."""

from __future__ import annotations

import logging
import time

from core.redis import shared_redis

_last_warned: dict[str, float] = {}

__all__ = ["shared_redis", "warn_every"]


def warn_every(logger: logging.Logger, what: str, exc: BaseException, seconds: float = 10.0) -> None:
    """Log a repeated failure (Redis down) once per `seconds`, not once per request."""
    now = time.monotonic()
    if now - _last_warned.get(what, -seconds) >= seconds:
        _last_warned[what] = now
        logger.warning("%s failed: %s", what, exc)
