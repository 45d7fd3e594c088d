"""`quote://{symbol}`: the latest quote of one symbol as a readable, subscribable resource."""

from __future__ import annotations

import json
from typing import Any

from asgiref.sync import sync_to_async
from mcp.server.mcpserver.exceptions import ResourceError

from argus_site.api.errors import InvalidParameter, translate
from marketdata.models import Instrument
from marketdata.payloads import provenance, quote_payload
from marketdata.sources import get_source
from marketdata.symbols import InvalidSymbol, parse_symbol


def _read(symbol: str) -> dict[str, Any]:
    try:
        info = parse_symbol(symbol)
    except InvalidSymbol as exc:
        raise InvalidParameter(str(exc)) from exc
    source = get_source()
    tick = source.latest_ticks([info.symbol]).get(info.symbol)
    if tick is None:
        raise LookupError(f"no quote for {info.symbol}; check the symbol with search_instruments")
    name = Instrument.objects.filter(symbol=info.symbol).values_list("name", flat=True).first() or ""
    return {"data": quote_payload(tick, name=name), "source": provenance(source, as_of=tick.time)}


async def read_quote(symbol: str) -> str:
    try:
        payload = await sync_to_async(_read, thread_sensitive=True)(symbol)
    except LookupError as exc:
        raise ResourceError(f"NOT_FOUND: {exc}") from exc
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
            "with provenance, e.g. quote://000001.SZ. Subscribe to be told when a new tick arrives."
        ),
        mime_type="application/json",
    )(read_quote)
