"""One contract per payload: the quote shape REST, WebSocket and MCP all send is built here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marketdata.sources.base import DataSource, Tick

# The spec's quote fields (GET /api/v1/market_data/latest), in the spec's order.
QUOTE_FIELDS = (
    "symbol",
    "name",
    "price",
    "change",
    "change_pct",
    "volume",
    "turnover",
    "high",
    "low",
    "open",
    "prev_close",
    "timestamp",
)


def iso_utc(moment: datetime) -> str:
    """2024-01-15T09:30:00.123Z: UTC, milliseconds, a Z (`moment` must be aware)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def quote_payload(tick: Tick, *, name: str) -> dict[str, Any]:
    """The spec's quote object for one tick."""
    return {
        "symbol": tick.symbol,
        "name": name,
        "price": tick.price,
        "change": tick.change,
        "change_pct": tick.change_pct,
        "volume": tick.volume,
        "turnover": tick.turnover,
        "high": tick.high,
        "low": tick.low,
        "open": tick.open,
        "prev_close": tick.prev_close,
        "timestamp": iso_utc(tick.time),
    }


def provenance(source: DataSource, *, as_of: datetime | None) -> dict[str, Any]:
    """Where data came from: every market-data response carries this, so simulated data is never mistaken for real."""
    return {"source": source.name, "simulated": source.simulated, "as_of": iso_utc(as_of) if as_of else None}
