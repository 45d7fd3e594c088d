"""A lean WebSocket load generator for bench/ws_fanout.py: many connections in one asyncio process.

A client library (websockets) spends more CPU per received frame than the server under test
sends it, and on a 2-core box that would measure the client. This speaks just enough RFC 6455 for
the benchmark: the upgrade handshake, unfragmented text frames, close, and pong for the server's
pings; every push is parsed with orjson to check `seq` and timestamp its arrival.

It runs as a worker process driven over a multiprocessing pipe (see `worker`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (RFC 6455 5.3: clients must mask)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    repeated = (mask * (length // 4 + 1))[:length]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(length, "big")
    return head + mask + masked


@dataclass
class Stats:
    """What one connection saw: last seq per symbol, gaps, duplicates, push arrivals."""

    last: dict[str, int] = field(default_factory=dict)
    gaps: int = 0
    duplicates: int = 0
    arrivals: list[tuple[str, int, float]] = field(default_factory=list)


class Client(asyncio.Protocol):
    """One WebSocket connection; `events` gets (kind, message) for every non-push message."""

    def __init__(self, host: str, path: str, headers: dict[str, str], stats: Stats) -> None:
        self.host, self.path, self.headers, self.stats = host, path, headers, stats
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = asyncio.get_running_loop().create_future()
        self.waiters: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.closed = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None
        self.recording = True

    # --- asyncio.Protocol ---
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {self.path} HTTP/1.1",
            f"Host: {self.host}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in self.headers.items()),
        ]
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[: self.buffer.find(b"\r\n")])
            del self.buffer[: end + 4]
            if b" 101 " not in status:
                self.upgraded.set_exception(ConnectionError(status.decode(errors="replace")))
                return
            self.upgraded.set_result(None)
        self._frames()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(exc or ConnectionError("closed during the handshake"))
        if not self.closed.done():
            self.closed.set_result(self.close_code)
        for waiter in self.waiters.values():
            if not waiter.done():
                waiter.set_exception(ConnectionError(f"closed ({self.close_code})"))
                waiter.exception()  # retrieved: a waiter nobody awaits any more must not warn

    # --- frames ---
    def _frames(self) -> None:
        buf = self.buffer
        pos = 0
        now = time.time()
        while len(buf) - pos >= 2:
            opcode = buf[pos] & 0x0F
            length = buf[pos + 1] & 0x7F
            start = pos + 2
            if length == 126:
                if len(buf) - pos < 4:
                    break
                length = struct.unpack_from("!H", buf, start)[0]
                start += 2
            elif length == 127:
                if len(buf) - pos < 10:
                    break
                length = struct.unpack_from("!Q", buf, start)[0]
                start += 8
            if len(buf) < start + length:
                break
            payload = bytes(buf[start : start + length])
            pos = start + length
            if opcode == OP_TEXT:
                self._message(payload, now)
            elif opcode == OP_PING:
                self.send(OP_PONG, payload)
            elif opcode == OP_CLOSE:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                if self.transport is not None:
                    self.transport.close()
        del buf[:pos]

    def _message(self, payload: bytes, now: float) -> None:
        message = orjson.loads(payload)
        kind = message.get("type")
        if kind == "market_data":
            data = message["data"]
            symbol, seq = data["symbol"], data["seq"]
            stats = self.stats
            last = stats.last.get(symbol)
            if last is not None:
                if seq > last + 1:
                    stats.gaps += seq - last - 1
                elif seq <= last:
                    stats.duplicates += 1
                    return
            stats.last[symbol] = seq
            if self.recording:
                stats.arrivals.append((symbol, seq, now))
            return
        if kind == "snapshot":
            for data in message["data"]:
                self.stats.last[data["symbol"]] = max(self.stats.last.get(data["symbol"], 0), data["seq"])
        waiter = self.waiters.pop(kind, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(message)

    def send(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame(opcode, payload))

    async def request(self, body: dict[str, Any], answer: str) -> dict[str, Any]:
        """Send a JSON message and wait (30 s at most) for the first message of type `answer`."""
        waiter = self.waiters[answer] = asyncio.get_running_loop().create_future()
        self.send(OP_TEXT, orjson.dumps(body))
        return await asyncio.wait_for(waiter, 30)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.send(OP_CLOSE, struct.pack("!H", 1000))
            self.transport.close()


@dataclass
class Target:
    host: str
    port: int
    path: str = "/ws/market_data"
    headers: dict[str, str] = field(default_factory=dict)


async def open_client(target: Target, *, rcvbuf: int | None = None) -> Client:
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    if rcvbuf is not None:
        # A small receive window makes a client that stops reading back up the server quickly.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    await loop.sock_connect(sock, (target.host, target.port))
    _, client = await loop.create_connection(
        lambda: Client(f"{target.host}:{target.port}", target.path, target.headers, Stats()), sock=sock
    )
    await asyncio.wait_for(client.upgraded, 30)
    return client


class Swarm:
    """The connections of one worker process."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.clients: list[Client] = []
        self.specs: list[dict[str, Any]] = []

    async def _open_one(self, spec: dict[str, Any], rcvbuf: int | None) -> tuple[Client | None, float | None, str]:
        try:
            client = await open_client(self.target, rcvbuf=rcvbuf)
            started = time.perf_counter()
            # The snapshot follows the ack on the same connection: wait for both.
            snapshot = client.waiters["snapshot"] = asyncio.get_running_loop().create_future()
            await client.request({"action": "subscribe", **spec}, "subscribed")
            await asyncio.wait_for(snapshot, 30)
            return client, (time.perf_counter() - started) * 1000, ""
        except Exception as exc:  # counted and reported; one failure must not stop the others
            return None, None, f"{type(exc).__name__}: {exc}"[:200]

    async def open(self, specs: list[dict[str, Any]], *, concurrency: int, rcvbuf: int | None = None) -> dict[str, Any]:
        """Open one connection per spec (subscribe + snapshot each), `concurrency` at a time."""
        gate = asyncio.Semaphore(concurrency)

        async def gated(spec: dict[str, Any]) -> tuple[Client | None, float | None, str]:
            async with gate:
                return await self._open_one(spec, rcvbuf)

        started = time.perf_counter()
        results = await asyncio.gather(*(gated(spec) for spec in specs))
        seconds = time.perf_counter() - started
        errors = [error for client, _, error in results if client is None]
        for spec, (client, _, _) in zip(specs, results, strict=True):
            if client is not None:
                self.clients.append(client)
                self.specs.append(spec)
        return {
            "opened": len(specs) - len(errors),
            "failed": len(errors),
            "errors": sorted(set(errors))[:5],
            "seconds": seconds,
            "snapshot_ms": [ms for _, ms, _ in results if ms is not None],
        }

    async def resubscribe(self, specs: list[dict[str, Any]], *, concurrency: int) -> dict[str, Any]:
        """On the open connections (connection i gets spec i), subscribe again: subscribe-to-snapshot times."""
        gate = asyncio.Semaphore(concurrency)

        async def one(client: Client, spec: dict[str, Any]) -> float:
            async with gate:
                started = time.perf_counter()
                snapshot = client.waiters["snapshot"] = asyncio.get_running_loop().create_future()
                await client.request({"action": "subscribe", **spec}, "subscribed")
                await asyncio.wait_for(snapshot, 30)
                return (time.perf_counter() - started) * 1000

        times = await asyncio.gather(*(one(c, spec) for c, spec in zip(self.clients, specs, strict=False)))
        return {"snapshot_ms": list(times)}

    async def reconnect(self, count: int) -> dict[str, Any]:
        """Drop `count` connections and open them again all at once (a reconnect storm)."""
        dropped, specs = self.clients[:count], self.specs[:count]
        del self.clients[:count], self.specs[:count]
        for client in dropped:
            client.close()
        await asyncio.gather(*(c.closed for c in dropped), return_exceptions=True)
        return await self.open(specs, concurrency=count)

    def pause(self) -> None:
        """Stop reading on every connection (clients that stall)."""
        for client in self.clients:
            if client.transport is not None:
                client.transport.pause_reading()

    def alive(self) -> int:
        return sum(1 for c in self.clients if not c.closed.done())

    def close_codes(self) -> list[int | None]:
        return [c.close_code for c in self.clients if c.closed.done()]

    async def stats(self) -> dict[str, Any]:
        """Ask the server for get_stats on the first live connection."""
        for client in self.clients:
            if not client.closed.done():
                return (await client.request({"action": "get_stats"}, "stats"))["data"]
        return {}

    async def collect(self, quiet: float) -> dict[str, Any]:
        """Wait until no push arrived for `quiet` seconds, then hand over (and forget) the arrivals."""
        while True:
            count = sum(len(c.stats.arrivals) for c in self.clients)
            await asyncio.sleep(quiet)
            if sum(len(c.stats.arrivals) for c in self.clients) == count:
                break
        arrivals: list[tuple[str, int, float]] = []
        gaps = duplicates = 0
        for client in self.clients:
            arrivals.extend(client.stats.arrivals)
            client.stats.arrivals = []
            gaps += client.stats.gaps
            duplicates += client.stats.duplicates
            client.stats.gaps = client.stats.duplicates = 0
        return {"arrivals": arrivals, "gaps": gaps, "duplicates": duplicates, "alive": self.alive()}

    async def close(self) -> None:
        for client in self.clients:
            client.close()
        await asyncio.gather(*(c.closed for c in self.clients), return_exceptions=True)
        self.clients.clear()
        self.specs.clear()


def worker(conn: Any, target: Target) -> None:
    """Process entry point: run commands from the pipe, answer each with a dict."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    async def main() -> None:
        loop = asyncio.get_running_loop()
        swarm = Swarm(target)
        while True:
            command, kwargs = await loop.run_in_executor(None, conn.recv)
            if command == "exit":
                await swarm.close()
                conn.send({})
                return
            if command == "pause":
                swarm.pause()
                conn.send({})
                continue
            if command == "alive":
                conn.send({"alive": swarm.alive(), "close_codes": swarm.close_codes()})
                continue
            method = getattr(swarm, command)
            try:
                conn.send(await method(**kwargs) or {})
            except Exception as exc:
                conn.send({"error": f"{type(exc).__name__}: {exc}"})

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
