"""What market-data calls return: the response's `data` as a dict, with the envelope's provenance beside it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Envelope keys that are not provenance: the result *is* `data`, and success is implied.
_NOT_META = ("success", "data")


class MarketDataResult(dict[str, Any]):
    """The spec's `data` object (`result["000001.SZ"]`), plus where it came from.

    `source` (the source's name), `simulated` and `as_of` (the data's own time) come from the
    envelope's `source` object; `cache_hit`, `cache_age_seconds`, `response_time_ms`, `message` and
    `timestamp` from the envelope itself; history adds `total_records`, `period` and `adjustment`
    (None elsewhere). `envelope` is the whole response without `data` and `success`.
    """

    def __init__(self, data: Mapping[str, Any] | None = None, envelope: Mapping[str, Any] | None = None) -> None:
        super().__init__(data or {})
        self.envelope: dict[str, Any] = {k: v for k, v in (envelope or {}).items() if k not in _NOT_META}
        origin = self.envelope.get("source")
        origin = origin if isinstance(origin, dict) else {}
        self.source: str | None = origin.get("source")
        self.simulated: bool | None = origin.get("simulated")
        self.as_of: str | None = origin.get("as_of")
        self.cache_hit: bool | None = self.envelope.get("cache_hit")
        self.cache_age_seconds: float | None = self.envelope.get("cache_age_seconds")
        self.response_time_ms: float | None = self.envelope.get("response_time_ms")
        self.message: str | None = self.envelope.get("message")
        self.timestamp: str | None = self.envelope.get("timestamp")
        self.total_records: int | None = self.envelope.get("total_records")
        self.period: str | None = self.envelope.get("period")
        self.adjustment: dict[str, Any] | None = self.envelope.get("adjustment")

    @property
    def data(self) -> dict[str, Any]:
        """The response's `data` as a plain dict."""
        return dict(self)

    @property
    def provenance(self) -> dict[str, Any]:
        """`{"source", "simulated", "as_of"}` as the server sent it."""
        return {"source": self.source, "simulated": self.simulated, "as_of": self.as_of}

    def to_pandas(self) -> Any:
        """A pandas DataFrame: one row per bar (history) or per symbol (quotes, details), with a `symbol`
        column, time columns in Asia/Shanghai, and the provenance in `.attrs` (needs the pandas extra)."""
        from argus_mcp.frames import to_frame

        return to_frame(self, self.provenance)


def merge_results(parts: Iterable[MarketDataResult]) -> MarketDataResult:
    """One result for a call made in batches: all the data, the provenance of the whole.

    `as_of` is the oldest batch's (as one response's is its oldest quote's), `simulated` is true if
    any batch was, `cache_hit` only if every batch was; `source` joins distinct names with commas.
    """
    parts = list(parts)
    data: dict[str, Any] = {}
    for part in parts:
        data.update(part)
    if not parts:
        return MarketDataResult(data, {})
    names = sorted({part.source for part in parts if part.source})
    stamps = [part.as_of for part in parts if part.as_of]
    ages = [part.cache_age_seconds for part in parts if part.cache_age_seconds is not None]
    envelope = {
        **parts[-1].envelope,
        "source": {
            "source": ",".join(names) or None,
            "simulated": any(bool(part.simulated) for part in parts),
            "as_of": min(stamps, default=None),
        },
        "cache_hit": all(bool(part.cache_hit) for part in parts),
        "cache_age_seconds": max(ages, default=None),
        "response_time_ms": round(sum(part.response_time_ms or 0.0 for part in parts), 3),
    }
    return MarketDataResult(data, envelope)
