"""POST /api/v1/cache/preload: the user guide's 预加载热点数据 over REST (cache_preload)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.envelope import success
from core.errors import InvalidParameter, MissingParameter
from marketdata.services.preload import cache_preload
from marketdata.symbols import InvalidSymbol, parse_symbols

# As many symbols as one `latest` request may ask.
MAX_SYMBOLS = 100


class CachePreloadView(APIView):
    """Load the latest quote, instrument info and the last 30 days of daily bars of `symbols` into the cache."""

    def post(self, request: Request) -> Response:
        try:
            symbols = parse_symbols(_symbols_text(request.data), maximum=MAX_SYMBOLS)
        except InvalidSymbol as exc:
            raise InvalidParameter(f"symbols: {exc}") from exc
        report = cache_preload(symbols)
        return Response(
            success(
                message="预加载完成",
                symbols=[symbol for symbol in symbols if symbol not in report.unknown],
                loaded=report.loaded,
                unknown=report.unknown,
            )
        )


def _symbols_text(body: Any) -> str:
    value = body.get("symbols") if isinstance(body, dict) else None
    if value is None:
        raise MissingParameter('send {"symbols": ["000001.SZ", "600000.SH"]}: the symbols to preload')
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ",".join(value)
    if isinstance(value, str):
        return value
    raise InvalidParameter('symbols must be a list of symbols (or one comma-separated string), e.g. ["000001.SZ"]')
