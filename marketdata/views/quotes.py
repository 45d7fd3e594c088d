"""GET /api/v1/market_data/latest and /full."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from core.envelope import success
from core.renderers import dumps
from marketdata.payloads import full_selection
from marketdata.schemas import FullResponse, LatestResponse
from marketdata.selectors import QuotesResult, full_snapshots, latest_quotes
from marketdata.serializers import FullQuery, LatestQuery
from marketdata.views.common import ERROR_RESPONSES, Stopwatch, degraded_extra, json_response, parse_query


def latest_envelope(result: QuotesResult, *, response_time_ms: float) -> dict[str, Any]:
    """The spec's /latest body (the Django view and the ASGI fast path send the same shape)."""
    return success(
        result.data,
        cache_hit=result.cache_hit,
        cache_age_seconds=result.cache_age_seconds,
        source=result.source,
        response_time_ms=response_time_ms,
        **degraded_extra(),
    )


class LatestView(APIView):
    @extend_schema(
        operation_id="market_data_latest",
        tags=["market data"],
        summary="Latest quotes (获取最新行情数据)",
        parameters=[LatestQuery],
        responses={200: LatestResponse, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> HttpResponse:
        watch = Stopwatch()
        query = parse_query(LatestQuery, request)
        result = latest_quotes(symbols=query["symbols"], fields=query.get("fields"), use_cache=query["use_cache"])
        body = latest_envelope(result, response_time_ms=watch.ms())
        return HttpResponse(dumps(body), content_type="application/json")


class FullView(APIView):
    @extend_schema(
        operation_id="market_data_full",
        tags=["market data"],
        summary="Full quotes: basic, order book, recent trades (获取完整行情数据)",
        parameters=[FullQuery],
        responses={200: FullResponse, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> HttpResponse:
        watch = Stopwatch()
        query = parse_query(FullQuery, request)
        selection = full_selection(query.get("fields"))
        result = full_snapshots(
            symbols=query["symbols"],
            sections=selection.sections,
            depth=query["depth"],
            use_cache=query["use_cache"],
            selection=selection,
        )
        return json_response(
            result.data,
            cache_hit=result.cache_hit,
            cache_age_seconds=result.cache_age_seconds,
            source=result.source,
            response_time_ms=watch.ms(),
        )
