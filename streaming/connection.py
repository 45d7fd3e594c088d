"""One WebSocket connection's outgoing side: a bounded queue, conflation, and a writer task.

Policy for slow clients (declared in the README): pushes queue up to ARGUS_WS_SEND_QUEUE; past
that the connection is conflated (only the latest push per symbol is kept, so memory is bounded
by the number of subscribed symbols, and the client sees a seq jump it can fill with resume_from);
a connection still conflated after ARGUS_WS_SLOW_CLIENT_TIMEOUT seconds is closed with 4008.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable

Send = Callable[[str], Awaitable[None]]
Resync = Callable[[], Awaitable[None]]

# (key, seq, frame): key is the symbol for quotes ("!" + symbol, or "!" for market-wide, for
# status, RESYNC for a renumbering); seq 0 means "not a sequenced push".
Item = tuple[str, int, str]
RESYNC = "#resync"


class Connection:
    """Outgoing frames of one client; `offer` never blocks and never grows past its bound."""

    def __init__(self, send: Send, *, queue_size: int) -> None:
        self._send = send
        self._queue_size = queue_size
        self._queue: deque[Item] = deque()
        self._conflated: dict[str, tuple[int, str]] | None = None
        self._wake = asyncio.Event()
        self.lock = asyncio.Lock()
        self.fields: dict[str, tuple[str, ...] | None] = {}
        self.sent: dict[str, int] = {}
        self.epoch: str | None = None  # the numbering `sent` counts in (None: none seen yet)
        self._resync: Resync | None = None
        self.lagging_since: float | None = None
        self.key: str | None = None  # prefix of the API key the handshake presented (None: anonymous)
        self.messages_sent = 0
        self.closed = False
        self._writer = asyncio.get_running_loop().create_task(self._write())

    def offer(self, key: str, seq: int, frame: str) -> None:
        """Queue a frame for the writer; conflate when the queue is full."""
        if self._conflated is not None:
            self._conflated[key] = (seq, frame)
        elif len(self._queue) >= self._queue_size:
            conflated = {k: (s, f) for k, s, f in self._queue}
            conflated[key] = (seq, frame)
            self._queue.clear()
            self._conflated = conflated
            self.lagging_since = time.monotonic()
        else:
            self._queue.append((key, seq, frame))
        self._wake.set()

    def renumber(self, epoch: str, resync: Resync) -> None:
        """The store's numbering changed (new trading day, or its counters were lost).

        Queued pushes of the old numbering are dropped, and `resync` (a reset and fresh snapshot of
        every subscribed symbol) is queued in their place, so the client sees the reset before any
        push of the new numbering, and nothing of the new numbering is skipped as "already sent".
        """
        self.epoch = epoch
        self.sent.clear()
        if self._conflated is not None:
            self._conflated = {k: v for k, v in self._conflated.items() if not v[0]}
        else:
            self._queue = deque(item for item in self._queue if not item[1])
        self.resync(resync)

    def resync(self, resync: Resync) -> None:
        """Queue `resync` (catch-up replays, or resets and a snapshot) to run in order with the pushes.

        One at a time: a resync already queued runs with the state as it is when it runs.
        """
        queued = self._resync is not None
        self._resync = resync
        if queued:
            return
        if self._conflated is not None:
            self._conflated[RESYNC] = (0, "")
        else:
            self._queue.append((RESYNC, 0, ""))
        self._wake.set()

    @property
    def queue_size(self) -> int:
        return self._queue_size

    def discard(self, keys: set[str]) -> None:
        """Drop queued frames of these keys (a replay stopped by unsubscribe)."""
        if self._conflated is not None:
            for key in keys:
                self._conflated.pop(key, None)
        else:
            self._queue = deque(item for item in self._queue if item[0] not in keys)

    def pending(self) -> int:
        return len(self._queue) + len(self._conflated or ())

    async def reply(self, frame: str) -> None:
        """Send a direct answer (ack, pong, error) in order with the pushes."""
        async with self.lock:
            await self.send_locked(frame)

    async def send_locked(self, frame: str) -> None:
        """Send while the caller holds `lock` (snapshots and replays hold it across several frames)."""
        await self._send(frame)
        self.messages_sent += 1

    def _pop(self) -> Item | None:
        if self._queue:
            return self._queue.popleft()
        if self._conflated:
            key = next(iter(self._conflated))
            seq, frame = self._conflated.pop(key)
            return key, seq, frame
        if self._conflated is not None:
            self._conflated = None
            self.lagging_since = None
        return None

    async def _write(self) -> None:
        try:
            await self._drain_forever()
        except asyncio.CancelledError:
            raise
        except Exception:
            # The client went away mid-send; the consumer's disconnect cleans up.
            self.closed = True

    async def _drain_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while (item := self._pop()) is not None:
                key, seq, frame = item
                if key == RESYNC:
                    resync, self._resync = self._resync, None
                    if resync is not None:
                        await resync()
                    continue
                if seq and (key not in self.fields or seq <= self.sent.get(key, 0)):
                    continue  # unsubscribed meanwhile, or already sent by a snapshot/replay
                async with self.lock:
                    await self._send(frame)
                if seq:
                    self.sent[key] = seq
                self.messages_sent += 1

    async def stop(self) -> None:
        """Stop the writer (the connection is closing); queued frames are dropped."""
        self.closed = True
        self._queue.clear()
        self._conflated = None
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._writer
