"""`/ws/market_data` for the SDK: the handshake, resuming after a drop, and dropping duplicates.

`Resume` is the protocol bookkeeping without I/O: it remembers the last `seq` yielded per symbol and
the `epoch` it came in, builds the subscribe messages of each (re)connection, and filters what the
server sends. `Backoff` is the reconnect policy. `ArgusMCPClient.subscribe` does the I/O.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed, InvalidStatus

from argus_mcp.exceptions import ArgusError, AuthenticationError, ServiceUnavailableError

# Close codes the server uses for a refused key: reconnecting cannot help.
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403


def websocket_url(base_url: str) -> str:
    """`http://host:port/prefix` → `ws://host:port/prefix/ws/market_data` (https → wss)."""
    parts = urlsplit(base_url)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None:
        raise ValueError(f"base_url must start with http:// or https://, not {base_url!r}")
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/ws/market_data", "", ""))


def handshake_headers(api_key: str | None) -> dict[str, str]:
    """Only what the handshake needs: the API key. No Origin: the server lets non-browser clients omit it."""
    return {"X-API-Key": api_key} if api_key else {}


def connect_options(api_key: str | None, timeout: float) -> dict[str, Any]:
    """websockets' `connect` arguments, the same for the async and the blocking client."""
    # A snapshot of many symbols with every field can pass websockets' 1 MiB default.
    return {"additional_headers": handshake_headers(api_key), "open_timeout": timeout, "max_size": 16 * 2**20}


@dataclass(frozen=True)
class Backoff:
    """Reconnect delays: `initial` × 2ⁿ capped at `maximum`, each drawn between half and all of that.

    `max_attempts` bounds consecutive failed (re)connections (None: retry forever; 0: never).
    """

    initial: float = 0.5
    maximum: float = 30.0
    max_attempts: int | None = None

    def exhausted(self, failures: int) -> bool:
        return self.max_attempts is not None and failures >= self.max_attempts

    def delay(self, failures: int) -> float:
        """The wait before attempt `failures` + 1 (`failures` >= 1)."""
        ceiling = min(self.maximum, self.initial * 2 ** min(failures - 1, 32))
        return random.uniform(ceiling / 2, ceiling)


class Resume:
    """What one subscription has yielded, so a reconnection resumes exactly after it."""

    def __init__(
        self, symbols: Iterable[str], fields: Iterable[str] | None, replay: Mapping[str, Any] | None = None
    ) -> None:
        wanted = [symbols] if isinstance(symbols, str) else symbols
        self.symbols = list(dict.fromkeys(symbol.strip().upper() for symbol in wanted))  # as the server spells them
        self.fields = list(fields) if fields is not None else None
        # A recorded day to replay ({"date", "speed", "from"}); a reconnection continues it from the
        # exchange time of the last tick yielded (repeats of that second are dropped by seq).
        self.replay = dict(replay) if replay is not None else None
        self.replay_from: str | None = None
        self.ended = False  # the replay's end-of-recording status was yielded
        self.last: dict[str, tuple[str | None, int]] = {}  # symbol → (epoch, last seq yielded)
        self.connections = 0
        self.refusal: str | None = None  # the details of the last error frame that refused the key

    def requests(self) -> list[dict[str, Any]]:
        """The subscribe messages for a new connection: one per epoch the yielded seqs came in."""
        self.connections += 1
        if self.replay is not None:
            request = self._request(self.symbols)
            request["replay"] = {**self.replay, **({"from": self.replay_from} if self.replay_from else {})}
            return [request]
        groups: dict[str | None, dict[str, int]] = {}
        for symbol in self.symbols:
            if symbol in self.last:
                epoch, seq = self.last[symbol]
                groups.setdefault(epoch, {})[symbol] = seq
        unseen = [symbol for symbol in self.symbols if symbol not in self.last]
        if not groups:
            return [self._request(unseen)]
        requests = []
        for index, (epoch, seqs) in enumerate(groups.items()):
            request = self._request([*seqs, *(unseen if index == 0 else [])])
            request["resume_from"] = seqs
            if epoch is not None:
                request["epoch"] = epoch
            requests.append(request)
        return requests

    def _request(self, symbols: list[str]) -> dict[str, Any]:
        request: dict[str, Any] = {"action": "subscribe", "symbols": symbols}
        if self.fields is not None:
            request["fields"] = self.fields
        return request

    @property
    def resumed(self) -> bool:
        return self.connections > 1

    def receive(self, raw: str | bytes) -> dict[str, Any] | None:
        """`accept` of one frame as received (None too for a frame that is not a JSON object)."""
        try:
            message = json.loads(raw)
        except ValueError:
            return None
        return self.accept(message) if isinstance(message, dict) else None

    def accept(self, message: Mapping[str, Any]) -> dict[str, Any] | None:
        """The message to yield (None: a duplicate, or a reconnection's own acknowledgement)."""
        kind, epoch, data = message.get("type"), message.get("epoch"), message.get("data")
        if kind == "market_data" and isinstance(data, dict):
            if not self._fresh(data, epoch):
                return None
            if self.replay is not None and isinstance(data.get("timestamp"), str):
                self.replay_from = exchange_clock(data["timestamp"]) or self.replay_from
            return dict(message)
        if kind == "status" and isinstance(data, dict) and data.get("replay") == "ended":
            self.ended = True
            return dict(message)
        if kind == "snapshot" and isinstance(data, list):
            fresh = [item for item in data if isinstance(item, dict) and self._fresh(item, epoch)]
            if self.resumed and not fresh:
                return None
            return {**message, "data": fresh}
        if kind == "reset" and isinstance(data, dict) and isinstance(data.get("symbol"), str):
            self.last[data["symbol"]] = (epoch, 0)  # a new numbering: the fresh snapshot follows
            return dict(message)
        if kind == "subscribed" and self.resumed:
            return None
        error = message.get("error")
        if kind == "error" and isinstance(error, dict) and error.get("code") in ("UNAUTHORIZED", "FORBIDDEN"):
            self.refusal = str(error.get("details") or error.get("message") or "")
        return dict(message)

    def _fresh(self, item: Mapping[str, Any], epoch: str | None) -> bool:
        """Record `item` as yielded unless its seq is at or below the last yielded in its epoch."""
        symbol, seq = item.get("symbol"), item.get("seq")
        if not isinstance(symbol, str) or not isinstance(seq, int):
            return True
        before = self.last.get(symbol)
        if before is not None and before[0] == epoch and seq <= before[1]:
            return False
        self.last[symbol] = (epoch, seq)
        return True


def exchange_clock(timestamp: str) -> str | None:
    """`HH:MM:SS` in exchange time (UTC+8 all year) of an ISO 8601 UTC timestamp."""
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return (moment.astimezone(UTC) + timedelta(hours=8)).strftime("%H:%M:%S")


def refused(close_code: int | None, reason: str) -> ArgusError | None:
    """The error to raise instead of reconnecting after a close (None: reconnect)."""
    if close_code == CLOSE_UNAUTHORIZED:
        return AuthenticationError("UNAUTHORIZED", "未授权访问", reason or None)
    if close_code == CLOSE_FORBIDDEN:
        return AuthenticationError("FORBIDDEN", "禁止访问", reason or None)
    return None


def retry_cause(exc: Exception, resume: Resume, url: str) -> Exception:
    """Why a connection failed or ended, to reconnect after; raises instead when that cannot help (a refused key)."""
    if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 403):
        status = exc.response.status_code
        code, message = ("UNAUTHORIZED", "未授权访问") if status == 401 else ("FORBIDDEN", "禁止访问")
        raise AuthenticationError(code, message, f"{url}: HTTP {status}", status=status) from exc
    if isinstance(exc, ConnectionClosed) and exc.rcvd is not None:
        error = refused(exc.rcvd.code, exc.rcvd.reason or resume.refusal or "")
        if error is not None:
            raise error from exc
    return exc


def gave_up(url: str, failures: int, cause: BaseException | None) -> ServiceUnavailableError:
    return ServiceUnavailableError(
        "SERVICE_UNAVAILABLE",
        "服务不可用",
        f"{url}: no connection after {failures} attempt(s): {cause or 'closed by the server'}",
    )
