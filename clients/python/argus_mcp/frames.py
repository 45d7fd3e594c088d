"""pandas frames of market-data results (`pip install 'argus-mcp-client[pandas]'`).

Time columns become timezone-aware Asia/Shanghai datetimes: `time`, `timestamp`, `simulated_time`
(UTC instants on the wire) are converted; `date`, `trading_day` (exchange days) are midnight of
that day in Shanghai. Each row carries its symbol; the result's provenance is in `frame.attrs`
(`source`, `simulated`, `as_of`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TIMEZONE = "Asia/Shanghai"
INSTANT_COLUMNS = ("time", "timestamp", "simulated_time", "update_time")
DAY_COLUMNS = ("date", "trading_day")


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError("to_pandas() / as_frame=True need pandas: pip install 'argus-mcp-client[pandas]'") from None
    return pandas


def rows_of(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """History (symbol -> bars) and quotes (symbol -> quote) as flat rows with a `symbol` column."""
    rows: list[dict[str, Any]] = []
    for symbol, value in data.items():
        if isinstance(value, list):
            rows.extend({"symbol": symbol, **bar} for bar in value if isinstance(bar, Mapping))
        elif isinstance(value, Mapping):
            rows.append({"symbol": symbol, **{k: v for k, v in value.items() if k != "symbol"}})
        else:
            rows.append({"symbol": symbol, "value": value})
    return rows


def to_frame(data: Mapping[str, Any], provenance: Mapping[str, Any] | None = None) -> Any:
    pandas = _pandas()
    if isinstance(data.get("trading_dates"), list):  # trading_dates: one row per trading day
        frame = pandas.DataFrame({"date": data["trading_dates"]})
    else:
        frame = pandas.DataFrame(rows_of(data))
    for column in INSTANT_COLUMNS:
        if column in frame.columns:
            frame[column] = pandas.to_datetime(frame[column], utc=True, errors="coerce").dt.tz_convert(TIMEZONE)
    for column in DAY_COLUMNS:
        if column in frame.columns:
            frame[column] = pandas.to_datetime(frame[column], errors="coerce").dt.tz_localize(TIMEZONE)
    frame.attrs.update(dict(provenance or {}))
    return frame
