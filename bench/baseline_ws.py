"""The WebSocket baseline: a minimal raw-ASGI fan-out server fed by the same publisher as Argus.

What ../shared/PERFORMANCE.md measured as the fastest design here, with nothing else: one Redis
SUBSCRIBE per process on Argus's push channel, an in-process symbol -> connections map, each push
serialised once per field set, a bounded per-connection queue (oldest dropped when full) drained by
one writer task. It answers `subscribe` with the same ack + snapshot (read from Argus's replay
buffers) and sends the same push frames, so bench/ws_fanout.py can drive both with the same
clients. No auth, no limits, no protocol checks: the framework-free ceiling.

Run: BENCH_REDIS_URL=redis://127.0.0.1:6379/0 BENCH_STREAM_PREFIX=<ns>:v1:stream \
     uvicorn bench.baseline_ws:app --workers 2 --ws-per-message-deflate false
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import deque
from typing import Any

import orjson
import redis.asyncio as redis

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PREFIX = os.environ.get("BENCH_STREAM_PREFIX", "bench:stream")
QUEUE = int(os.environ.get("BENCH_QUEUE", "1000"))
FIELDS = ("price", "volume", "change", "change_percent")


class Peer:
    def __init__(self, send: Any) -> None:
        self.send = send
        self.fields: dict[str, tuple[str, ...] | None] = {}
        self.queue: deque[str] = deque(maxlen=QUEUE)
        self.wake = asyncio.Event()
        self.writer = asyncio.get_running_loop().create_task(self.write())

    def offer(self, frame: str) -> None:
        self.queue.append(frame)
        self.wake.set()

    async def write(self) -> None:
        with contextlib.suppress(Exception):
            while True:
                await self.wake.wait()
                self.wake.clear()
                while self.queue:
                    await self.send({"type": "websocket.send", "text": self.queue.popleft()})


subscribers: dict[str, set[Peer]] = {}
_client: redis.Redis | None = None
_listener: asyncio.Task[None] | None = None


def frame(quote: dict[str, Any], seq: int, fields: tuple[str, ...] | None) -> str:
    data = {"symbol": quote["symbol"], "seq": seq, "trading_day": quote.get("trading_day")}
    for name in FIELDS if fields is None else fields:
        data[name] = quote.get(name)
    data["timestamp"] = quote.get("timestamp")
    return orjson.dumps({"type": "market_data", "data": data}).decode()


def dispatch(raw: bytes) -> None:
    quotes = orjson.loads(raw).get("quotes") or ()
    for seq, quote in quotes:
        followers = subscribers.get(quote["symbol"])
        if not followers:
            continue
        frames: dict[tuple[str, ...] | None, str] = {}
        for peer in followers:
            fields = peer.fields.get(quote["symbol"])
            text = frames.get(fields)
            if text is None:
                text = frames[fields] = frame(quote, seq, fields)
            peer.offer(text)


async def listen(ready: asyncio.Future[None]) -> None:
    pubsub = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(f"{PREFIX}:pushes")
    ready.set_result(None)
    async for message in pubsub.listen():
        dispatch(message["data"])


async def subscribe(peer: Peer, message: dict[str, Any]) -> None:
    global _client
    if _client is None:
        # Blocking: at the bound, wait for a connection (the default pool fails a reconnect storm).
        _client = redis.Redis(connection_pool=redis.BlockingConnectionPool.from_url(REDIS_URL, max_connections=200))
    symbols = list(message.get("symbols") or [])
    fields = tuple(message["fields"]) if message.get("fields") else None
    for symbol in symbols:
        peer.fields[symbol] = fields
        subscribers.setdefault(symbol, set()).add(peer)
    day = await _client.get(f"{PREFIX}:day")
    snapshot = []
    if day:
        pipe = _client.pipeline(transaction=False)
        for symbol in symbols:
            pipe.xrevrange(f"{PREFIX}:buf:{day.decode()}:{symbol}", count=1)
        for rows in await pipe.execute():
            if rows:
                entry_id, values = rows[0]
                seq = int(entry_id.split(b"-")[0])
                snapshot.append(orjson.loads(frame(orjson.loads(values[b"q"]), seq, fields))["data"])
    ack = {"type": "subscribed", "data": {"symbols": symbols}}
    await peer.send({"type": "websocket.send", "text": orjson.dumps(ack).decode()})
    await peer.send({"type": "websocket.send", "text": orjson.dumps({"type": "snapshot", "data": snapshot}).decode()})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _listener
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] != "websocket":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    if _listener is None:
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        _listener = asyncio.get_running_loop().create_task(listen(ready))
        await ready
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    peer = Peer(send)
    try:
        while True:
            event = await receive()
            if event["type"] == "websocket.disconnect":
                break
            message = orjson.loads(event.get("text") or "{}")
            if message.get("action") == "subscribe":
                await subscribe(peer, message)
            elif message.get("action") == "get_stats":
                data = {"total_connections": sum(len(s) for s in subscribers.values())}
                await send({"type": "websocket.send", "text": orjson.dumps({"type": "stats", "data": data}).decode()})
    finally:
        peer.writer.cancel()
        for symbol in peer.fields:
            subscribers.get(symbol, set()).discard(peer)
