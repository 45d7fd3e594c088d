"""POST /api/v1/cache/preload: the user guide's 预加载热点数据 over REST (cache_preload)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.envelope import success
from core.errors import InvalidParameter, MissingParameter
from core.schemas import BodySchema, ErrorResponse
from marketdata.node_schemas import SymbolField
from marketdata.services.preload import cache_preload
from marketdata.symbols import InvalidSymbol, parse_symbol

# As many symbols as one `latest` request may ask.
MAX_SYMBOLS = 100


class PreloadRequest(serializers.Serializer):
    symbols = serializers.ListField(
        child=SymbolField(), min_length=1, max_length=MAX_SYMBOLS, help_text=f"at most {MAX_SYMBOLS} symbols"
    )


class PreloadResponse(BodySchema):
    symbols = serializers.ListField(child=serializers.CharField(), help_text="the symbols loaded")
    loaded = serializers.DictField(child=serializers.IntegerField(), help_text="entries stored per cache rule")
    unknown = serializers.ListField(child=serializers.CharField(), help_text="symbols not in the instrument list")


class CachePreloadView(APIView):
    """Load the latest quote, instrument info and the last 30 days of daily bars of `symbols` into the cache."""

    @extend_schema(
        operation_id="cache_preload",
        summary="Preload hot symbols into the cache (预加载热点数据)",
        tags=["cache"],
        request=PreloadRequest,
        responses={
            200: PreloadResponse,
            400: OpenApiResponse(ErrorResponse, description="INVALID_PARAMETER or MISSING_PARAMETER"),
            401: OpenApiResponse(ErrorResponse, description="UNAUTHORIZED: a missing, unknown or revoked API key"),
            403: OpenApiResponse(ErrorResponse, description="FORBIDDEN: the key lacks cache:manage"),
            429: OpenApiResponse(ErrorResponse, description="RATE_LIMIT_EXCEEDED (management class); see Retry-After"),
        },
    )
    def post(self, request: Request) -> Response:
        symbols = _symbols(request.data)
        report = cache_preload(symbols)
        return Response(
            success(
                message="预加载完成",
                symbols=[symbol for symbol in symbols if symbol not in report.unknown],
                loaded=report.loaded,
                unknown=report.unknown,
            )
        )


def _symbols(body: Any) -> list[str]:
    """The body's `symbols`: a non-empty list of at most MAX_SYMBOLS symbols, each one symbol."""
    value = body.get("symbols") if isinstance(body, dict) else None
    if value is None:
        raise MissingParameter('send {"symbols": ["000001.SZ", "600000.SH"]}: the symbols to preload')
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise InvalidParameter('symbols must be a non-empty list of symbols, e.g. ["000001.SZ", "600000.SH"]')
    try:
        symbols = list(dict.fromkeys(parse_symbol(item).symbol for item in value))
    except InvalidSymbol as exc:
        raise InvalidParameter(f"symbols: {exc}") from exc
    if len(symbols) > MAX_SYMBOLS:
        raise InvalidParameter(f"{len(symbols)} symbols asked; at most {MAX_SYMBOLS} per request, split the list")
    return symbols
