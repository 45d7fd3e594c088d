"""The per-process fan-out hub: symbol -> connections, fed by one subscription per process.

Production: one Redis pub/sub subscription per process receives every batch the feed publishes
(wherever it runs); the hub hands each quote to the connections subscribed to its symbol,
serialising each (quote, field set) once. Embedded default: the feed's worker thread hands batches
to the event loop with call_soon_threadsafe. No per-tick Redis round trip, no group_send.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any

import orjson
from django.conf import settings

from core import clock
from core.errors import Unauthorized
from streaming.connection import Connection
from streaming.protocol import (
    CLOSE_SLOW_CLIENT,
    CLOSE_UNAUTHORIZED,
    dumps,
    error_frame,
    now_iso,
    push_data,
    push_frame,
    reset_frame,
)
from streaming.store import Entry, ProcessStats, StreamStore

logger = logging.getLogger("argus.stream")

HEARTBEAT_SECONDS = 2.0
READY_SECONDS = 3.0
MARKET_SECONDS = 1.0
# A key this process verified is trusted for new handshakes this long without a database lookup;
# revoking or editing it clears it everywhere at once (streaming/keys.py).
KEY_SECONDS = 60.0
RENUMBERED = (
    "the stream's numbering restarted (a new trading day, or the server lost its counters); a fresh snapshot follows"
)
MISSED = (
    "pushes were missed while the server's feed subscription was down and cannot be replayed; a fresh snapshot follows"
)
UNREADABLE = (
    "pushes were missed while the server's feed subscription was down and the stream store cannot be read to replay "
    "them; pushes continue from here: subscribe again or resume_from later to fill the gap"
)
# A catch-up read that fails (the first command on a pooled connection that Redis dropped fails with
# "Connection closed by server"; redis-py then replaces it) is tried again, after 0.2, 0.4, 0.8 s.
# The writer waits meanwhile, so no newer push overtakes the replay; after the last attempt the
# connection is told `reset` rather than left with a silent gap.
CATCH_UP_ATTEMPTS = 4
CATCH_UP_BACKOFF = 0.2
Closer = Callable[[int], Awaitable[None]]
# Market phases in which every followed symbol is expected to move (streaming.services.feed's).
WATCHED_PHASES = ("call_auction", "continuous", "closing_auction")


def _raise_if_cancelled() -> None:
    """Re-raise a cancellation that a library turned into an ordinary error.

    redis-py's asyncio client can turn the CancelledError thrown into a pending connect into a
    ConnectionError; a retry loop that catches Exception then never ends, and the event loop's
    shutdown (which cancels each task once) waits for it forever (seen: a test teardown hung for
    600 s while the heartbeat retried a stopped Redis every 2 s). Task.cancelling() still counts the
    request, so the loop can honour it.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class Hub:
    """Connections of this process and the symbols they follow."""

    def __init__(self, store: StreamStore, loop: asyncio.AbstractEventLoop) -> None:
        self.store = store
        self.loop = loop
        self.process_id = uuid.uuid4().hex
        self.started_at = clock.timestamp()
        self.connections: dict[Connection, Closer] = {}
        self.subscribers: dict[str, set[Connection]] = {}
        self._sent_by_closed = 0
        self._ready: asyncio.Future[None] | None = None
        self._ready_by = 0.0
        self._tasks: list[asyncio.Task[None]] = []
        self._closing: set[asyncio.Task[None]] = set()
        self._quote_listeners: list[Callable[[list[str]], object]] = []
        self._wanted: set[str] = set()
        self._wanting: asyncio.Task[None] | None = None
        self._market: dict[str, object] | None = None
        self._market_at = float("-inf")
        self._keys: dict[str, tuple[str, float]] = {}  # digest of a raw key -> (prefix, verified at)
        self._verifying: dict[str, asyncio.Task[str]] = {}
        # The feed watchdog (see _watch_feed): when each followed symbol last got a push here, since
        # when it has been followed, when the market phase last changed, and which symbols this
        # process has told its subscribers are stale.
        self._pushed_at: dict[str, float] = {}
        self._followed_at: dict[str, float] = {}
        self._phase_at = time.monotonic()
        self._stale: set[str] = set()

    def add_quote_listener(self, listener: Callable[[list[str]], object]) -> None:
        """Also tell `listener` which symbols got a new quote (MCP resource notifications use this)."""
        if listener not in self._quote_listeners:
            self._quote_listeners.append(listener)

    async def start(self) -> None:
        """Start the heartbeat (and the Redis listener) once; wait until pushes can arrive.

        With Redis down the wait ends after READY_SECONDS from the first wait: connections are still
        accepted (ping works, subscribe answers SERVICE_UNAVAILABLE) and pushes flow once the listener
        reconnects. Later handshakes wait only what is left of that first wait, never READY_SECONDS
        each (a Redis outage must not add seconds to every handshake).
        """
        if self._ready is None:
            self._ready_by = time.monotonic() + READY_SECONDS
            self._ready = self.loop.create_future()
            self._tasks.append(self.loop.create_task(self._heartbeat()))
            self._tasks.append(self.loop.create_task(self._watchdog()))
            if hasattr(self.store, "async_client"):
                self._tasks.append(self.loop.create_task(self._listen()))
            else:
                self._ready.set_result(None)
        if self._ready.done():
            return
        left = self._ready_by - time.monotonic()
        if left <= 0:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), left)
        except TimeoutError:
            logger.warning("the stream's Redis subscription is not up after %.0f s; accepting anyway", READY_SECONDS)

    def open(self, connection: Connection, closer: Closer) -> bool:
        """Admit a connection unless this process is at ARGUS_WS_MAX_CONNECTIONS."""
        if len(self.connections) >= settings.ARGUS_WS_MAX_CONNECTIONS:
            return False
        self.connections[connection] = closer
        return True

    def close(self, connection: Connection) -> None:
        self.unsubscribe(connection, list(connection.fields))
        if self.connections.pop(connection, None) is not None:
            self._sent_by_closed += connection.messages_sent

    def subscribe(self, connection: Connection, symbols: Iterable[str], fields: tuple[str, ...] | None) -> None:
        for symbol in symbols:
            connection.fields[symbol] = fields
            self.subscribers.setdefault(symbol, set()).add(connection)
            self._followed_at.setdefault(symbol, time.monotonic())

    def unsubscribe(self, connection: Connection, symbols: Iterable[str]) -> None:
        for symbol in symbols:
            connection.fields.pop(symbol, None)
            connection.sent.pop(symbol, None)
            followers = self.subscribers.get(symbol)
            if followers is not None:
                followers.discard(connection)
                if not followers:
                    del self.subscribers[symbol]
                    self._followed_at.pop(symbol, None)
                    self._pushed_at.pop(symbol, None)
                    self._stale.discard(symbol)

    def key_verified(self, digest: str) -> str | None:
        """The prefix of a key this process verified in the last KEY_SECONDS (None: look it up)."""
        found = self._keys.get(digest)
        if found is None or time.monotonic() - found[1] > KEY_SECONDS:
            return None
        return found[0]

    async def key_verify(self, digest: str, verify: Callable[[], Coroutine[Any, Any, str]]) -> str:
        """The key's prefix: from the cache, else from `verify()`, run once for handshakes arriving together."""
        prefix = self.key_verified(digest)
        if prefix is not None:
            return prefix
        task = self._verifying.get(digest)
        if task is None:
            task = self._verifying[digest] = self.loop.create_task(verify())
            task.add_done_callback(lambda _: self._verifying.pop(digest, None))
        prefix = await asyncio.shield(task)  # refusals (ApiError) reach every waiter
        self.key_remember(digest, prefix)
        return prefix

    def key_remember(self, digest: str, prefix: str) -> None:
        now = time.monotonic()
        if len(self._keys) >= 10_000:
            self._keys = {d: v for d, v in self._keys.items() if now - v[1] <= KEY_SECONDS}
        self._keys[digest] = (prefix, now)

    def _key_changed(self, change: dict[str, object]) -> None:
        """A key was edited, revoked or deleted: forget it; close its connections if it no longer admits them."""
        prefix = change.get("prefix")
        self._keys = {d: v for d, v in self._keys.items() if v[0] != prefix}
        if change.get("allowed"):
            return
        for connection, closer in list(self.connections.items()):
            if connection.key == prefix:
                self.close(connection)
                task = self.loop.create_task(self._close_revoked(connection, closer))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

    async def _close_revoked(self, connection: Connection, closer: Closer) -> None:
        details = "this connection's API key was revoked or lost the market_data:read scope; reconnect with a valid key"
        with contextlib.suppress(Exception):
            await connection.reply(error_frame(Unauthorized(details)))
        await connection.stop()
        with contextlib.suppress(Exception):
            await closer(CLOSE_UNAUTHORIZED)

    async def want(self, symbols: Iterable[str]) -> None:
        """Tell the feed these symbols are wanted; subscribes arriving together share one command."""
        self._wanted.update(symbols)
        if self._wanting is None:
            self._wanting = self.loop.create_task(self._want_pending())
        await asyncio.shield(self._wanting)

    async def _want_pending(self) -> None:
        await asyncio.sleep(0)  # let the subscribes read in this loop iteration join
        symbols, self._wanted, self._wanting = self._wanted, set(), None
        await self.store.touch(symbols)

    async def market(self) -> dict[str, object] | None:
        """The market status for subscribe acks: kept from status pushes, re-read at most once a second.

        The feed re-writes it every poll (a replaying source's simulated time moves) but publishes
        only phase changes, so a copy older than a second is refreshed from the store.
        """
        if time.monotonic() - self._market_at > MARKET_SECONDS:
            raw = await self.store.value("market")
            market = orjson.loads(raw) if raw else None
            if (market or {}).get("market_phase") != (self._market or {}).get("market_phase"):
                self._phase_at = time.monotonic()
            self._market, self._market_at = market, time.monotonic()
        return self._market

    def renumber(self, connection: Connection, epoch: str) -> None:
        """`connection` counted in another epoch: reset it and send a fresh snapshot, in order."""
        logger.info("stream epoch is now %s: resetting a connection of %d symbols", epoch, len(connection.fields))
        connection.renumber(epoch, functools.partial(self._catch_up, connection, RENUMBERED))

    def _catch_up_all(self) -> None:
        """The pub/sub subscription was down: pushes published meanwhile never reached this process."""
        for connection in list(self.connections):
            if connection.fields:
                connection.resync(functools.partial(self._catch_up, connection, MISSED))

    async def _catch_up(self, connection: Connection, reason: str) -> None:
        """Run by the connection's writer: replay what each symbol missed in the current epoch; where
        that cannot be done (another epoch, the buffer trimmed), a reset and a fresh snapshot. When the
        store cannot be read (CATCH_UP_ATTEMPTS times), each symbol is reset: the gap is reported."""
        symbols = list(connection.fields)
        for attempt in range(CATCH_UP_ATTEMPTS):
            try:
                epoch, replays, latest = await self._catch_up_reads(connection, symbols)
                break
            except Exception as exc:
                if attempt + 1 == CATCH_UP_ATTEMPTS:
                    logger.warning("stream catch-up failed %d times (%s): resetting the connection", attempt + 1, exc)
                    await self._reset_unread(connection)
                    return
                logger.info("stream catch-up failed (%s); trying again", exc)
                await asyncio.sleep(CATCH_UP_BACKOFF * 2**attempt)
        if epoch is None:
            return  # nothing numbered yet: the first push will carry the epoch
        resets = [s for s in symbols if s not in replays]
        async with connection.lock:
            if epoch != connection.epoch:
                connection.epoch, connection.sent = epoch, {}
            for symbol, entries in replays.items():
                for entry in entries:
                    if entry.seq > connection.sent.get(symbol, 0) and symbol in connection.fields:
                        await connection.send_locked(
                            push_frame(entry.quote, entry.seq, connection.fields[symbol], epoch)
                        )
                        connection.sent[symbol] = entry.seq
            if not resets:
                return
            for symbol in resets:
                await connection.send_locked(reset_frame(symbol, reason, epoch))
            current = {s: e for s, e in latest.items() if s in connection.fields and e.epoch == epoch}
            snapshot = [push_data(e.quote, e.seq, connection.fields[s]) for s, e in current.items()]
            await connection.send_locked(dumps({"type": "snapshot", "epoch": epoch, "data": snapshot}))
            for symbol in resets:
                connection.sent.pop(symbol, None)
            connection.sent.update({s: e.seq for s, e in current.items()})

    async def _catch_up_reads(
        self, connection: Connection, symbols: list[str]
    ) -> tuple[str | None, dict[str, list[Entry]], dict[str, Entry]]:
        """The store's epoch, each symbol's missed entries (where replayable) and the rest's latest entry."""
        epoch = await self.store.epoch()
        if epoch is None:
            return None, {}, {}
        replays: dict[str, list[Entry]] = {}
        if epoch == connection.epoch:
            for symbol in symbols:
                if symbol in connection.sent:
                    entries = await self.store.replay(symbol, connection.sent[symbol], epoch)
                    if entries is not None:
                        replays[symbol] = entries
        resets = [s for s in symbols if s not in replays]
        latest = await self.store.latest(resets) if resets else {}
        return epoch, replays, latest

    async def _reset_unread(self, connection: Connection) -> None:
        """The catch-up could not read the store: reset every symbol (no snapshot to give: an empty one)."""
        if connection.epoch is None:
            return  # nothing was numbered for this connection yet: nothing to have missed
        async with connection.lock:
            for symbol in list(connection.fields):
                await connection.send_locked(reset_frame(symbol, UNREADABLE, connection.epoch))
                connection.sent.pop(symbol, None)
            await connection.send_locked(dumps({"type": "snapshot", "epoch": connection.epoch, "data": []}))

    def dispatch(self, raw: bytes | str) -> None:
        """Fan one published batch out to this process's connections."""
        message = orjson.loads(raw)
        quotes = message.get("quotes")
        if quotes is not None:
            epoch = message["epoch"]
            arrived = time.monotonic()
            for seq, quote in quotes:
                symbol = quote["symbol"]
                followers = self.subscribers.get(symbol)
                if not followers:
                    continue
                self._pushed_at[symbol] = arrived
                if symbol in self._stale:
                    self._tell_state(symbol, "fresh", None)
                frames: dict[tuple[str, ...] | None, str] = {}
                for connection in followers:
                    if connection.epoch != epoch:
                        if connection.epoch is not None:
                            self.renumber(connection, epoch)  # the snapshot it queues holds this quote
                            continue
                        connection.epoch = epoch
                    fields = connection.fields.get(symbol)
                    frame = frames.get(fields)
                    if frame is None:
                        frame = frames[fields] = push_frame(quote, seq, fields, epoch)
                    connection.offer(symbol, seq, frame)
            if self._quote_listeners:
                self._tell_listeners([quote["symbol"] for _, quote in quotes])
            return
        change = message.get("key_changed")
        if change is not None:
            self._key_changed(change)
            return
        status = message.get("status")
        if status is not None:
            symbol = status.get("symbol")
            if symbol is None and "market_phase" in status:
                if (self._market or {}).get("market_phase") != status["market_phase"]:
                    self._phase_at = time.monotonic()
                self._market, self._market_at = status, time.monotonic()
            if symbol is not None and status.get("state") in ("stale", "fresh"):
                # The feed's own marks, and this process's watchdog's: each told once per change.
                if (status["state"] == "stale") == (symbol in self._stale):
                    return
                (self._stale.add if status["state"] == "stale" else self._stale.discard)(symbol)
            targets = self.subscribers.get(symbol, set()) if symbol else self.connections
            frame = dumps({"type": "status", "data": status})
            for connection in list(targets):
                connection.offer("!" + (symbol or ""), 0, frame)

    def _tell_state(self, symbol: str, state: str, age: float | None) -> None:
        """This process's own stale/fresh status for `symbol`, to its subscribers here."""
        status: dict[str, object] = {"symbol": symbol, "state": state, "trading_day": None, "timestamp": now_iso()}
        if state == "stale":
            self._stale.add(symbol)
            status["age_seconds"] = None if age is None else round(age, 1)
            status["detail"] = (
                "no update for this symbol within the stale window; the feed may be down"
                if age is not None
                else "no update for this symbol since it was subscribed here; the feed may be down"
            )
        else:
            self._stale.discard(symbol)
        frame = dumps({"type": "status", "data": status})
        for connection in list(self.subscribers.get(symbol, ())):
            connection.offer("!" + symbol, 0, frame)

    def stale_window(self) -> float:
        """Seconds without a push, in a trading phase, after which a followed symbol is stale here:
        the feed's own rule (ARGUS_FEED_STALE_INTERVALS intervals) plus one interval of slack."""
        return (settings.ARGUS_FEED_STALE_INTERVALS + 1) * settings.ARGUS_FEED_INTERVAL

    def _watch_feed(self) -> None:
        """Tell subscribers their symbols are stale when no push arrives in a trading phase, whether or
        not the feed said so: a feed that died (its process, the Celery worker or beat) says nothing.
        Judged from what this process received, so it holds wherever the feed ran."""
        phase = (self._market or {}).get("market_phase")
        if phase not in WATCHED_PHASES:
            return
        now = time.monotonic()
        window = self.stale_window()
        for symbol in list(self.subscribers):
            if symbol in self._stale:
                continue
            pushed = self._pushed_at.get(symbol)
            since = max(pushed or float("-inf"), self._followed_at.get(symbol, now), self._phase_at)
            if now - since > window:
                self._tell_state(symbol, "stale", None if pushed is None else now - pushed)

    def is_stale(self, symbol: str) -> tuple[bool, float | None]:
        """(told stale here, seconds since its last push here or None) for snapshots and acks."""
        pushed = self._pushed_at.get(symbol)
        return symbol in self._stale, None if pushed is None else round(time.monotonic() - pushed, 1)

    async def _watchdog(self) -> None:
        while True:
            try:
                self._watch_feed()
            except Exception:
                _raise_if_cancelled()
                logger.exception("feed watchdog failed")
            await asyncio.sleep(max(0.1, min(settings.ARGUS_FEED_INTERVAL, HEARTBEAT_SECONDS)))

    def _tell_listeners(self, symbols: list[str]) -> None:
        for listener in self._quote_listeners:
            try:
                listener(symbols)
            except Exception:
                logger.exception("quote listener %r failed", listener)

    def stats(self) -> ProcessStats:
        return ProcessStats(
            connections=len(self.connections),
            subscriptions=sum(len(c.fields) for c in self.connections),
            messages_sent=self._sent_by_closed + sum(c.messages_sent for c in self.connections),
            started_at=self.started_at,
        )

    async def report(self) -> None:
        await self.store.report(self.process_id, self.stats(), ttl=3 * HEARTBEAT_SECONDS)

    async def _heartbeat(self) -> None:
        while True:
            try:
                await self.report()
                await self.store.touch(list(self.subscribers))
                await self._sweep()
            except Exception:
                _raise_if_cancelled()
                logger.exception("stream heartbeat failed")
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def _sweep(self) -> None:
        limit = time.monotonic() - settings.ARGUS_WS_SLOW_CLIENT_TIMEOUT
        for connection, closer in list(self.connections.items()):
            if connection.lagging_since is not None and connection.lagging_since < limit:
                logger.info("closing a connection that stayed behind (%d pushes pending)", connection.pending())
                # Forget it now: its close frame may wait behind unread data for a while.
                self.close(connection)
                await connection.stop()
                task = self.loop.create_task(self._close_slow(closer))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

    async def _close_slow(self, closer: Closer) -> None:
        with contextlib.suppress(Exception):
            await closer(CLOSE_SLOW_CLIENT)

    async def _listen(self) -> None:
        from streaming.redis_store import RedisStore, channel_name

        assert isinstance(self.store, RedisStore)
        lost = False
        while True:
            pubsub = self.store.pubsub()
            try:
                await pubsub.subscribe(channel_name())
                if self._ready is not None and not self._ready.done():
                    self._ready.set_result(None)
                if lost:
                    logger.warning("stream subscription is back; catching up %d connections", len(self.connections))
                    self._catch_up_all()
                lost = True
                async for message in pubsub.listen():
                    self.dispatch(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                _raise_if_cancelled()
                logger.exception("stream subscription lost; resubscribing")
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self._ready = None
