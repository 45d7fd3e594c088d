"""The HTTP baseline: a minimal raw-ASGI app that answers GET /<name> with bytes read from Redis.

bench/http_api.py stores, under BENCH_PREFIX:<name>, the exact body Argus returned for each
scenario, so both servers send the same bytes and the difference is the framework's cost.
Run: BENCH_REDIS_URL=redis://127.0.0.1:6379/0 BENCH_PREFIX=x uvicorn bench.baseline_asgi:app --workers 2
"""

from __future__ import annotations

import os
from typing import Any

import redis.asyncio as redis

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PREFIX = os.environ.get("BENCH_PREFIX", "bench")
_client: redis.Redis | None = None


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _client
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if _client is None:
        _client = redis.Redis.from_url(REDIS_URL, max_connections=100)
    body = await _client.get(f"{PREFIX}:{scope['path'].lstrip('/')}")
    status = 200 if body is not None else 404
    body = body or b"{}"
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
