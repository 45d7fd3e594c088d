"""Real WebSocket subscribers of a running server, and what they received: the fault tests' witnesses.

A `Subscriber` keeps every frame with the monotonic time it arrived. `sequences()` and
`silent_losses()` judge what it saw the way a client must: within one epoch a symbol's seqs
(snapshot, then pushes) are contiguous; a new epoch is announced by a `reset` for the symbol
before any frame of the new numbering. Anything else is data lost without a word.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from websockets.sync.client import ClientConnection, connect

__all__ = ["ORIGIN", "Subscriber", "state_is"]

ORIGIN = "http://localhost"
Frame = dict[str, Any]


class Subscriber:
    def __init__(self, url: str) -> None:
        self.ws: ClientConnection = connect(url, origin=ORIGIN, open_timeout=10)
        self.frames: list[tuple[float, Frame]] = []

    def subscribe(self, symbols: list[str]) -> None:
        self.ws.send(json.dumps({"action": "subscribe", "symbols": symbols, "fields": ["price"]}))

    def read(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                return
            self.frames.append((time.monotonic(), frame))

    def until(self, predicate: Callable[[Frame], bool], seconds: float, since: float) -> float | None:
        """Monotonic time of the first frame after `since` matching `predicate`, reading up to `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            for at, frame in self.frames:
                if at >= since and predicate(frame):
                    return at
            if time.monotonic() >= deadline:
                return None
            self.read(min(0.5, deadline - time.monotonic()))

    def close(self) -> None:
        self.ws.close()

    def _sequenced(self) -> list[tuple[str, str | None, str, int | None]]:
        """(symbol, epoch, frame type, seq) for each sequenced frame about one symbol, in arrival order."""
        out: list[tuple[str, str | None, str, int | None]] = []
        for _, frame in self.frames:
            kind, epoch = frame["type"], frame.get("epoch")
            if kind == "market_data":
                out.append((frame["data"]["symbol"], epoch, kind, frame["data"]["seq"]))
            elif kind == "snapshot":
                out.extend((entry["symbol"], epoch, kind, entry["seq"]) for entry in frame["data"])
            elif kind == "reset":
                out.append((frame["data"]["symbol"], epoch, kind, None))
        return out

    def sequences(self) -> dict[tuple[str, str | None], list[int]]:
        """seq per (symbol, epoch): a snapshot's seq joins when it is new, a reset starts the symbol afresh."""
        out: dict[tuple[str, str | None], list[int]] = {}
        for symbol, epoch, kind, seq in self._sequenced():
            key = (symbol, epoch)
            if kind == "reset":
                out[key] = []
            elif seq is not None and (kind == "market_data" or not out.get(key) or seq > out[key][-1]):
                out.setdefault(key, []).append(seq)
        return out

    def resets(self) -> list[Frame]:
        return [frame for _, frame in self.frames if frame["type"] == "reset"]

    def silent_losses(self) -> list[str]:
        """Every gap within an epoch and every change of epoch without a `reset` first; [] when none."""
        problems = []
        for (symbol, epoch), seqs in self.sequences().items():
            if seqs and seqs != list(range(seqs[0], seqs[0] + len(seqs))):
                problems.append(f"{symbol} epoch {epoch}: seqs with a gap or out of order {seqs}")
        current: dict[str, str | None] = {}
        for symbol, epoch, kind, _ in self._sequenced():
            if symbol in current and epoch != current[symbol] and kind != "reset":
                problems.append(f"{symbol}: epoch {current[symbol]} -> {epoch} without a reset ({kind} first)")
            current[symbol] = epoch
        return problems


def state_is(symbols: set[str], state: str) -> Callable[[Frame], bool]:
    """A `status` frame saying one of `symbols` is `state` (stale, fresh)."""
    return lambda f: f["type"] == "status" and f["data"].get("symbol") in symbols and f["data"].get("state") == state
