"""The shared Redis connection monitoring uses (None in the embedded default), and log throttling."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings

_last_warned: dict[str, float] = {}


def shared_redis() -> Any | None:
    """The raw Redis client behind the default cache, or None when Redis is not configured."""
    if not settings.USE_REDIS:
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def warn_every(logger: logging.Logger, what: str, exc: BaseException, seconds: float = 10.0) -> None:
    """Log a repeated failure (Redis down) once per `seconds`, not once per request."""
    now = time.monotonic()
    if now - _last_warned.get(what, -seconds) >= seconds:
        _last_warned[what] = now
        logger.warning("%s failed: %s", what, exc)
