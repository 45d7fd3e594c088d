"""Live-quote streaming: the store (sequences, replay buffers, registries), the hub, the protocol.

`get_store()` is the process's store (Redis when REDIS_URL is set, memory otherwise);
`get_hub()` the hub of the running event loop.
"""

from __future__ import annotations

import asyncio
import threading

from django.conf import settings

from streaming.hub import Hub
from streaming.store import MemoryStore, StreamStore

_lock = threading.Lock()
_store: StreamStore | None = None
_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def _publish_local(raw: bytes) -> None:
    """Embedded default: hand a batch from the feed's thread to every hub's event loop."""
    for loop, hub in list(_hubs.items()):
        if loop.is_closed():
            _hubs.pop(loop, None)
            continue
        loop.call_soon_threadsafe(hub.dispatch, raw)


def get_store() -> StreamStore:
    """The process's stream store, built on first use from settings."""
    global _store
    if _store is None:
        with _lock:
            if _store is None:
                if settings.USE_REDIS:
                    from streaming.redis_store import RedisStore

                    _store = RedisStore(
                        url=settings.REDIS_URL,
                        buffer_size=settings.ARGUS_REPLAY_BUFFER_SIZE,
                        max_connections=settings.ARGUS_REDIS_MAX_CONNECTIONS,
                    )
                else:
                    _store = MemoryStore(buffer_size=settings.ARGUS_REPLAY_BUFFER_SIZE, publisher=_publish_local)
    return _store


def get_hub() -> Hub:
    """The hub of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub(get_store(), loop)
    return hub


def reset_streaming() -> None:
    """Forget the store and hubs (tests that change settings)."""
    global _store
    with _lock:
        _store = None
        _hubs.clear()
