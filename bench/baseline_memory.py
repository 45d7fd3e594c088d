"""The physical-limit baseline: a raw ASGI app answering GET /<name> with bytes held in memory.

bench/http_api.py stores, under BENCH_PREFIX:<name>, the exact body Argus returned for each scenario;
this app reads them all once at startup (lifespan) and then answers every request from a dict, with
no I/O at all: the most any Python ASGI server can do here with the same uvicorn workers and load.
Run: BENCH_REDIS_URL=redis://127.0.0.1:6379/0 BENCH_PREFIX=x uvicorn bench.baseline_memory:app --workers 2
"""

from __future__ import annotations

import os
from typing import Any

import redis

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PREFIX = os.environ.get("BENCH_PREFIX", "bench")
_bodies: dict[str, tuple[bytes, list[tuple[bytes, bytes]]]] = {}


def _load() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    # Only the captured bodies (`<prefix>:s<n>`): the same prefix is Argus's namespace during the run,
    # and one of its keys (a hash) made GET fail here, the lifespan with it, so uvicorn served
    # every scenario as a 404 "{}" instead.
    for key in client.scan_iter(match=f"{PREFIX}:s[0-9]*", count=1000):
        body = client.get(key) or b"{}"
        name = "/" + key.decode().split(":", 1)[1]
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        _bodies[name] = (body, headers)
    client.close()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            _load()  # startup, before any request: the benchmark's bytes, once
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    found = _bodies.get(scope["path"])
    body, headers = found if found is not None else (b"{}", [(b"content-length", b"2")])
    await send({"type": "http.response.start", "status": 200 if found else 404, "headers": headers})
    await send({"type": "http.response.body", "body": body})
