"""Paged results: pages of at most `max_rows`, an opaque cursor for the next page (MCP tools and REST).

A cursor encodes the tool, a fingerprint of the query and the next row's offset, so it cannot
be replayed against a different query by mistake. Rows are addressed by offset into a stable
ordering (bars by time, instruments by symbol).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from core.errors import InvalidParameter

T = TypeVar("T")


def _fingerprint(tool: str, query: Mapping[str, Any]) -> str:
    canonical = json.dumps([tool, query], sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_cursor(tool: str, query: Mapping[str, Any], offset: int) -> str:
    """An opaque token for the page starting at `offset` of this query."""
    raw = json.dumps({"q": _fingerprint(tool, query), "o": offset}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(tool: str, query: Mapping[str, Any], cursor: str | None) -> int:
    """The offset a cursor points at (0 without one); a foreign or damaged cursor is INVALID_PARAMETER."""
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        token = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = int(token["o"])
        fingerprint = str(token["q"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidParameter("cursor is not one this tool returned; call again without cursor to start over") from exc
    if fingerprint != _fingerprint(tool, query) or offset < 0:
        raise InvalidParameter(
            "cursor belongs to a different query; pass the same arguments as the call that returned it, "
            "or call again without cursor"
        )
    return offset


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    offset: int
    total: int
    next_cursor: str | None

    @property
    def truncated(self) -> bool:
        return self.next_cursor is not None

    def describe(self) -> dict[str, Any]:
        """The paging fields every paged result carries."""
        shown_to = self.offset + len(self.rows)
        note = (
            f"rows {self.offset + 1}-{shown_to} of {self.total}; more rows exist: call again with cursor"
            if self.truncated
            else f"rows {self.offset + 1 if self.rows else 0}-{shown_to} of {self.total}; this is the last page"
        )
        return {
            "total_rows": self.total,
            "offset": self.offset,
            "returned_rows": len(self.rows),
            "truncated": self.truncated,
            "next_cursor": self.next_cursor,
            "note": note,
        }


def paginate(rows: Sequence[T], *, tool: str, query: Mapping[str, Any], cursor: str | None, max_rows: int) -> Page:
    """The page of `rows` that `cursor` points at, with the cursor of the next one."""
    offset = decode_cursor(tool, query, cursor)
    if offset > len(rows):
        raise InvalidParameter(f"cursor points past the end ({len(rows)} rows); call again without cursor")
    page = list(rows[offset : offset + max_rows])
    end = offset + len(page)
    next_cursor = encode_cursor(tool, query, end) if end < len(rows) else None
    return Page(rows=page, offset=offset, total=len(rows), next_cursor=next_cursor)
