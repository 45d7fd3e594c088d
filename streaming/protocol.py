"""The /ws/market_data wire protocol: parsing client messages and building server frames.

Client actions (spec): subscribe {symbols, fields}, unsubscribe {symbols}, get_stats, ping.
Extension: subscribe accepts `resume_from` {symbol: last seq seen} and the `epoch` those seqs belong to,
or `replay` {date, speed, from}: a recorded day played to this connection only (streaming/replay.py).
Server frames: market_data, stats, pong (spec); subscribed, snapshot, reset, status, error (extensions).
Sequenced frames (market_data, snapshot, reset, subscribed) carry a top-level `epoch`: seqs are
contiguous within one epoch; a new epoch comes with a `reset` and a fresh snapshot.
Errors use the spec's codes: {"type": "error", "error": {"code", "message", "details"}, "action"}.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from core import clock
from core.errors import ERROR_CODES, ApiError, InvalidParameter, MissingParameter
from marketdata.payloads import QUOTE_FIELDS
from marketdata.symbols import InvalidSymbol, parse_symbol

ACTIONS = ("subscribe", "unsubscribe", "get_stats", "ping")
# Every frame type the server sends (tests/ws/test_asyncapi.py checks the code sends no other and that
# the AsyncAPI document describes each).
SERVER_MESSAGES = (
    "subscribed",
    "snapshot",
    "market_data",
    "reset",
    "unsubscribed",
    "status",
    "stats",
    "pong",
    "error",
)
# The protocol as an AsyncAPI 3 document, served at /api/asyncapi.yaml and rendered at /api/asyncapi/.
ASYNCAPI_DOCUMENT = Path(__file__).with_name("asyncapi.yaml")
# Every push carries these, whatever fields were asked for.
ALWAYS = ("symbol", "seq", "trading_day", "timestamp")
FIELDS = tuple(f for f in QUOTE_FIELDS if f not in ALWAYS)

# Close codes (4000-4999 is the application range).
CLOSE_SLOW_CLIENT = 4008
CLOSE_TRY_AGAIN_LATER = 1013  # the server cannot take the connection now (full, or its database is down)
CLOSE_TOO_MANY_CONNECTIONS = CLOSE_TRY_AGAIN_LATER
CLOSE_UNAUTHORIZED = 4401  # no valid API key where one is required (HTTP 401's counterpart)
CLOSE_FORBIDDEN = 4403  # the key lacks the market-data scope
CLOSE_RATE_LIMITED = 4429  # too many handshakes from this client (HTTP 429's counterpart)


@dataclass(frozen=True, slots=True)
class Request:
    action: str
    symbols: tuple[str, ...] = ()
    fields: tuple[str, ...] | None = None  # None: every field
    resume_from: dict[str, int] | None = None
    epoch: str | None = None  # the numbering resume_from's seqs belong to (None: the current one)
    replay: Any = None  # a recorded day to play instead of live pushes (validated by streaming/replay.py)


def now_iso() -> str:
    return clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def dumps(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


def error_frame(error: ApiError, action: str | None = None) -> str:
    """A structured error with the spec's code and message and a `details` that says what to fix."""
    return dumps(
        {
            "type": "error",
            "action": action,
            "error": {"code": error.code, "message": ERROR_CODES[error.code][1], "details": error.details},
            "timestamp": now_iso(),
        }
    )


def push_data(quote: dict[str, Any], seq: int, fields: tuple[str, ...] | None) -> dict[str, Any]:
    """One quote filtered to the subscribed fields, plus the fields every push carries."""
    data = {"symbol": quote["symbol"], "seq": seq, "trading_day": quote.get("trading_day")}
    for name in FIELDS if fields is None else fields:
        data[name] = quote.get(name)
    data["timestamp"] = quote.get("timestamp")
    if "simulated" in quote:  # provenance per push: the flag; the source's name is in the ack
        data["simulated"] = quote["simulated"]
    if "simulated_time" in quote:  # a replaying source: the exchange moment this push reproduces
        data["simulated_time"] = quote["simulated_time"]
    return data


def push_frame(quote: dict[str, Any], seq: int, fields: tuple[str, ...] | None, epoch: str) -> str:
    return dumps({"type": "market_data", "epoch": epoch, "data": push_data(quote, seq, fields)})


def reset_frame(symbol: str, reason: str, epoch: str | None) -> str:
    return dumps({"type": "reset", "epoch": epoch, "data": {"symbol": symbol, "reason": reason}})


def requested_action(text: str | None, *, max_bytes: int) -> str | None:
    """The `action` a message asked for, when it names one (for error frames of messages `parse` refused)."""
    if text is None or len(text) > max_bytes:
        return None
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    action = message.get("action") if isinstance(message, dict) else None
    return action if isinstance(action, str) and len(action) <= 64 else None


def parse(text: str | None, *, max_bytes: int) -> Request:
    """Validate one client message; raises ApiError saying what was wrong."""
    if text is None:
        raise InvalidParameter("send text frames holding a JSON object; binary frames are not accepted")
    if len(text) > max_bytes:
        raise InvalidParameter(f"message is {len(text)} characters; at most {max_bytes} are accepted")
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f'message is not JSON ({exc}); send an object like {{"action": "ping"}}') from exc
    if not isinstance(message, dict):
        raise InvalidParameter("message must be a JSON object with an 'action'")
    action = message.get("action")
    if action is None:
        raise MissingParameter(f"'action' is missing; use one of {', '.join(ACTIONS)}")
    if action not in ACTIONS:
        raise InvalidParameter(f"unknown action {action!r}; use one of {', '.join(ACTIONS)}")
    if action == "subscribe":
        return Request(
            action,
            _symbols(message),
            _fields(message.get("fields")),
            _resume(message.get("resume_from")),
            _epoch(message.get("epoch")),
            message.get("replay"),
        )
    if action == "unsubscribe":
        return Request(action, _symbols(message))
    return Request(action)


def _symbols(message: dict[str, Any]) -> tuple[str, ...]:
    raw = message.get("symbols")
    if raw is None:
        raise MissingParameter("'symbols' is missing: give a list such as [\"000001.SZ\"]")
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
        raise InvalidParameter("'symbols' must be a non-empty list of strings such as [\"000001.SZ\"]")
    try:
        return tuple(dict.fromkeys(parse_symbol(s).symbol for s in raw))
    except InvalidSymbol as exc:
        raise InvalidParameter(str(exc)) from exc


def _fields(raw: Any) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
        raise InvalidParameter(f"'fields' must be a list of strings from: {', '.join(FIELDS)}")
    unknown = [f for f in raw if f not in FIELDS and f not in ALWAYS]
    if unknown:
        raise InvalidParameter(f"unknown fields {unknown}; choose from: {', '.join(FIELDS)}")
    return tuple(f for f in FIELDS if f in raw)


def _epoch(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw or len(raw) > 64:
        raise InvalidParameter("'epoch' must be the epoch string of the pushes whose seqs resume_from names")
    return raw


def _resume(raw: Any) -> dict[str, int] | None:
    if raw is None:
        return None
    ok = isinstance(raw, dict) and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in raw.values())
    if not ok:
        raise InvalidParameter("'resume_from' must map symbols to the last seq received, e.g. {\"000001.SZ\": 42}")
    try:
        return {parse_symbol(s).symbol: v for s, v in raw.items()}
    except InvalidSymbol as exc:
        raise InvalidParameter(f"resume_from: {exc}") from exc
