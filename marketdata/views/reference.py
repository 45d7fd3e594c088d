"""GET /api/v1/market_data/instrument_detail and /trading_dates."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from marketdata.schemas import CalendarResponse, InstrumentResponse
from marketdata.selectors import instrument_details, trading_calendar
from marketdata.serializers import InstrumentQuery, TradingDatesQuery
from marketdata.views.common import ERROR_RESPONSES, Stopwatch, json_response, parse_query


class InstrumentDetailView(APIView):
    @extend_schema(
        operation_id="market_data_instrument_detail",
        tags=["market data"],
        summary="Instrument details (获取股票基本信息)",
        parameters=[InstrumentQuery],
        responses={200: InstrumentResponse, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> HttpResponse:
        watch = Stopwatch()
        query = parse_query(InstrumentQuery, request)
        result = instrument_details(symbols=query["symbols"], use_cache=query["use_cache"])
        return json_response(
            result.data,
            cache_hit=result.cache_hit,
            cache_age_seconds=result.cache_age_seconds,
            source=result.source,
            response_time_ms=watch.ms(),
        )


class TradingDatesView(APIView):
    @extend_schema(
        operation_id="market_data_trading_dates",
        tags=["market data"],
        summary="Trading calendar (获取交易日历)",
        parameters=[TradingDatesQuery],
        responses={200: CalendarResponse, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> HttpResponse:
        query = parse_query(TradingDatesQuery, request)
        result = trading_calendar(market=query["market"], start=query["start_date"], end=query["end_date"])
        return json_response(
            {"trading_dates": result.trading_dates, "total_days": result.total_days, "holidays": result.holidays},
            source=result.source,
        )
