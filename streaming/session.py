"""What a /ws/market_data connection does with each client message (the consumer only forwards)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from cachemgr.services import service_started_at
from core.errors import ApiError, InvalidParameter, RateLimitExceeded, ServiceUnavailable
from core.process import uptime_since
from marketdata.payloads import stream_provenance
from marketdata.selectors.common import source_identity
from streaming import get_hub
from streaming.connection import Connection, Send
from streaming.directory import instrument_names, instrument_names_cached
from streaming.hub import Closer, Hub
from streaming.protocol import (
    Request,
    dumps,
    error_frame,
    now_iso,
    parse,
    push_data,
    push_frame,
    requested_action,
    reset_frame,
)
from streaming.replay import Replays
from streaming.store import Entry

logger = logging.getLogger("argus.stream")


class RateWindow:
    """At most `limit` messages per `window` seconds (the spec's WebSocket row: 1000 messages/minute)."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self.started = time.monotonic()
        self.count = 0

    def take(self) -> bool:
        now = time.monotonic()
        if now - self.started >= self.window:
            self.started, self.count = now, 0
        self.count += 1
        return self.count <= self.limit


class Session:
    """One client's protocol state on top of its Connection."""

    def __init__(self, send: Send, closer: Closer) -> None:
        self.hub: Hub = get_hub()
        self.connection = Connection(send, queue_size=settings.ARGUS_WS_SEND_QUEUE)
        self.closer = closer
        self.rate = RateWindow(*settings.ARGUS_RATE_LIMITS["websocket"])
        self.replays = Replays(self.connection)

    async def open(self) -> bool:
        """Admit the connection (False: this process is full)."""
        await self.hub.start()
        return self.hub.open(self.connection, self.closer)

    async def close(self) -> None:
        await self.replays.close()
        self.hub.close(self.connection)
        await self.connection.stop()

    async def handle(self, text: str | None) -> None:
        """Answer one client message; bad input gets an error frame and the connection stays open."""
        action = None
        try:
            if not self.rate.take():
                raise RateLimitExceeded(
                    f"more than {self.rate.limit} messages in {self.rate.window:g} s; this one was ignored, slow down"
                )
            request = parse(text, max_bytes=settings.ARGUS_WS_MAX_MESSAGE_BYTES)
            action = request.action
            await getattr(self, f"_{action}")(request)
        except ApiError as error:
            # A refused message still names what it asked for ("action": "subscribe"); messages over
            # the rate limit are not read at all.
            if action is None and not isinstance(error, RateLimitExceeded):
                action = requested_action(text, max_bytes=settings.ARGUS_WS_MAX_MESSAGE_BYTES)
            await self.connection.reply(error_frame(error, action))
        except Exception:
            # A failure of ours (Redis down, a bug) must not kill this connection or any other.
            logger.exception("websocket %s failed", action)
            unavailable = ServiceUnavailable(f"'{action}' could not be completed just now; retry in a few seconds")
            await self.connection.reply(error_frame(unavailable, action))

    async def _ping(self, request: Request) -> None:
        await self.connection.reply(dumps({"type": "pong", "timestamp": now_iso()}))

    async def _get_stats(self, request: Request) -> None:
        await self.hub.report()
        processes = await self.hub.store.gather()
        # One service uptime, the same as /health's: the oldest live process's start (not the first
        # WebSocket connection's).
        started = await asyncio.to_thread(service_started_at)
        data = {
            "total_connections": sum(p.connections for p in processes),
            "total_subscriptions": sum(p.subscriptions for p in processes),
            "messages_sent": sum(p.messages_sent for p in processes),
            "uptime_seconds": uptime_since(started),
            "processes": len(processes),
        }
        await self.connection.reply(dumps({"type": "stats", "data": data}))

    async def _unsubscribe(self, request: Request) -> None:
        stopped = self.replays.unsubscribe(request.symbols)  # a replay of them stops (replay.py)
        self.hub.unsubscribe(self.connection, request.symbols)
        data: dict[str, Any] = {"symbols": list(request.symbols), "subscribed": sorted(self.connection.fields)}
        if stopped:
            data["replay_stopped"] = stopped
        await self.connection.reply(dumps({"type": "unsubscribed", "data": data}))

    async def _subscribe(self, request: Request) -> None:
        await self._check_subscribe(request)
        replaying = sorted(set(request.symbols) & self.replays.symbols)
        if request.replay is not None:
            await self.replays.subscribe(
                request.symbols, request.fields, request.replay, resume=request.resume_from is not None
            )
            return
        if replaying:
            raise InvalidParameter(
                f"{replaying} are being replayed on this connection; unsubscribe them first to follow them live"
            )
        connection = self.connection
        resume = request.resume_from or {}
        store = self.hub.store
        async with connection.lock:
            # Register first: every push published from now on is queued, and everything published
            # before is already in the buffer read below, so nothing falls between the two.
            self.hub.subscribe(connection, request.symbols, request.fields)
            fresh = [s for s in request.symbols if s not in resume]
            replays: dict[str, list[Entry]] = {}
            for symbol, after in resume.items():
                entries = await store.replay(symbol, after, request.epoch)
                if entries is None:
                    fresh.append(symbol)
                else:
                    replays[symbol] = entries
            # Independent steps at once: a snapshot waits for the slowest, not for their sum.
            _, latest, market = await asyncio.gather(
                self.hub.want(request.symbols), store.latest(fresh), self.hub.market()
            )
            epoch = _epoch_of(latest, replays, request.epoch if replays else None) or await store.epoch()
            for symbol, after in resume.items():
                if symbol not in replays:
                    reason = _reset_reason(after, request.epoch, epoch)
                    await connection.send_locked(reset_frame(symbol, reason, epoch))
            for symbol, entries in replays.items():
                for entry in entries:
                    await connection.send_locked(push_frame(entry.quote, entry.seq, request.fields, entry.epoch))
                connection.sent[symbol] = entries[-1].seq if entries else resume[symbol]
            ack = {
                "symbols": list(request.symbols),
                "fields": list(request.fields) if request.fields else None,
                "pending": [s for s in fresh if s not in latest],
                "subscribed": len(connection.fields),
                "market": market,
                "provenance": _provenance(request.symbols),
            }
            await connection.send_locked(dumps({"type": "subscribed", "epoch": epoch, "data": ack}))
            snapshot = [self._snapshot_entry(e, request.fields) for e in latest.values()]
            for symbol, entry in latest.items():
                connection.sent[symbol] = max(connection.sent.get(symbol, 0), entry.seq)
            await connection.send_locked(dumps({"type": "snapshot", "epoch": epoch, "data": snapshot}))
            if connection.epoch is None:
                connection.epoch = epoch
            elif epoch is not None and epoch != connection.epoch:
                self.hub.renumber(connection, epoch)  # its other symbols counted in the old epoch

    def _snapshot_entry(self, entry: Entry, fields: tuple[str, ...] | None) -> dict[str, Any]:
        """A snapshot entry; one this process knows is stale says so, with the seconds since its last push."""
        data = push_data(entry.quote, entry.seq, fields)
        stale, age = self.hub.is_stale(entry.quote["symbol"])
        if stale:
            data["stale"], data["age_seconds"] = True, age
        return data

    async def _check_subscribe(self, request: Request) -> None:
        resume = request.resume_from or {}
        extra = sorted(set(resume) - set(request.symbols))
        if extra:
            raise InvalidParameter(f"resume_from names {extra}, which are not in 'symbols'; add them there")
        total = len(set(self.connection.fields) | set(request.symbols))
        if total > settings.ARGUS_WS_MAX_SYMBOLS:
            raise InvalidParameter(
                f"{total} symbols on one connection; at most {settings.ARGUS_WS_MAX_SYMBOLS}: unsubscribe some first"
            )
        # Fresh names are read in place: a thread hop per subscribe would queue every subscriber
        # of a reconnect storm behind one another on Channels' single database thread.
        names = instrument_names_cached() or await database_sync_to_async(instrument_names)()
        unknown = [s for s in request.symbols if s not in names]
        if unknown:
            raise InvalidParameter(f"unknown symbols {unknown}: not listed instruments; nothing was subscribed")


def _epoch_of(latest: dict[str, Entry], replays: dict[str, list[Entry]], resumed: str | None) -> str | None:
    """The current epoch as the reads of one subscribe saw it (None: they do not tell)."""
    for entry in latest.values():
        return entry.epoch
    for entries in replays.values():
        if entries:
            return entries[0].epoch
    return resumed


def _reset_reason(after: int, asked: str | None, epoch: str | None) -> str:
    if asked is not None and asked != epoch:
        return (
            f"epoch {asked} is over (a new trading day, or the server lost its counters); "
            "seqs start afresh in the current epoch and a fresh snapshot follows"
        )
    return f"seq {after} is not in today's replay buffer; a fresh snapshot follows"


def _provenance(symbols: tuple[str, ...] | list[str]) -> dict[str, dict[str, Any]]:
    """Once per symbol in the subscribe ack: which source serves it, simulated, replayed (every push
    then carries only its `simulated` flag). Never blocks: the built source's word, or its class's."""
    name, simulated = source_identity()
    origin = stream_provenance(name, simulated=simulated)
    return {symbol: dict(origin) for symbol in symbols}
