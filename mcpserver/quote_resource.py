"""`quote://{symbol}`: the latest quote of one symbol as a readable, subscribable resource."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from mcp.server.mcpserver.exceptions import ResourceError

from core.errors import translate
from marketdata.selectors import latest_quotes
from marketdata.serializers import LatestQuery
from mcpserver.validation import parse_arguments


def _read(symbol: str) -> dict[str, Any]:
    query = parse_arguments(LatestQuery, {"symbols": [symbol]})
    result = latest_quotes(symbols=query["symbols"], use_cache=True)
    (quote,) = result.data.values()
    return {"data": quote, "cache_hit": result.cache_hit, "source": result.source}


async def read_quote(symbol: str) -> str:
    try:
        payload = await database_sync_to_async(_read)(symbol)
    except Exception as exc:  # the agent sees the spec's code and what to fix
        code, details, _headers = translate(exc)
        raise ResourceError(f"{code}: {details}") from exc
    return json.dumps(payload, ensure_ascii=False)


def register(server: Any) -> None:
    server.resource(
        "quote://{symbol}",
        name="quote",
        title="Latest quote",
        description=(
            "The latest quote of one A-share symbol (price, change, volume, OHLC, previous close, timestamp) "
            "with provenance, e.g. quote://000001.SZ: the same object as GET /api/v1/market_data/latest. "
            "Subscribe to be told when a new tick arrives."
        ),
        mime_type="application/json",
    )(read_quote)
