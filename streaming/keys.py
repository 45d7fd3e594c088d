"""API-key changes reach every web process: their handshake caches forget the key, and a key that no
longer admits WebSockets (revoked, deleted, or without the market-data scope) has its connections closed
with 4401. The message goes out on the stream's own channel (Redis pub/sub, or in-process embedded).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from django.db.models.signals import post_delete, post_save

from monitoring.models import ApiKey
from monitoring.policy import policy_for

logger = logging.getLogger("argus.stream")


def api_key_changed(sender: type[ApiKey], instance: ApiKey, signal: Any, **kwargs: Any) -> None:
    from streaming import get_store

    scope = policy_for("/ws/market_data", "GET").scope
    allowed = signal is post_save and instance.is_active and (scope is None or instance.has_scope(scope))
    message = {"key_changed": {"prefix": instance.prefix, "allowed": allowed}}
    try:
        get_store().publish_status(orjson.dumps(message))
    except Exception:
        # Handshake caches then keep the key at most KEY_SECONDS; open connections stay open.
        logger.warning("could not tell the web processes that API key %s changed", instance.prefix, exc_info=True)


def connect_signals() -> None:
    post_save.connect(api_key_changed, sender=ApiKey, dispatch_uid="argus-stream-api-key-saved")
    post_delete.connect(api_key_changed, sender=ApiKey, dispatch_uid="argus-stream-api-key-deleted")


async def handshake_key_cache(digest: str, lookup: Callable[[], Coroutine[Any, Any, str]]) -> str:
    """The edge's handshake key check through this process's hub: a key verified in the last
    KEY_SECONDS is not looked up again, and handshakes arriving together share one lookup."""
    from streaming import get_hub

    return await get_hub().key_verify(digest, lookup)
