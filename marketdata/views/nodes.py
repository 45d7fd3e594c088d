"""Node-to-node reads (gateways with the `upstream` source): whole ticks, trades, the instrument list, actions.

Not in the spec: additive endpoints so a gateway can rebuild every field of the source dataclasses.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from marketdata.node_schemas import (
    ActionsQuery,
    ActionsResponse,
    InstrumentsQuery,
    InstrumentsResponse,
    TicksQuery,
    TicksResponse,
    TradesQuery,
    TradesResponse,
)
from marketdata.selectors.nodes import node_corporate_actions, node_instruments, node_ticks, node_trades
from marketdata.views.common import ERROR_RESPONSES, Stopwatch, json_response, parse_query

NODE_TAG = ["market_data (node to node)"]


class InstrumentsView(APIView):
    @extend_schema(
        operation_id="market_data_instruments",
        summary="Every instrument of the source, paged by symbol (node to node)",
        tags=NODE_TAG,
        parameters=[InstrumentsQuery],
        responses={200: InstrumentsResponse, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> HttpResponse:
        watch = Stopwatch()
        query = parse_query(InstrumentsQuery, request)
        result = node_instruments(after=query.get("after"), limit=query["limit"], symbols=query.get("symbols"))
        return json_response(result.data, source=result.source, response_time_ms=watch.ms())


class TicksView(APIView):
    @extend_schema(
        operation_id="market_data_ticks",
        summary="Whole latest ticks: full book, trading status, limit prices (node to node)",
        tags=NODE_TAG,
        parameters=[TicksQuery],
        responses={200: TicksResponse, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> HttpResponse:
        watch = Stopwatch()
        result = node_ticks(symbols=parse_query(TicksQuery, request)["symbols"])
        return json_response(result.data, source=result.source, response_time_ms=watch.ms())


class TradesView(APIView):
    @extend_schema(
        operation_id="market_data_trades",
        summary="Most recent trades of one symbol, newest first (node to node)",
        tags=NODE_TAG,
        parameters=[TradesQuery],
        responses={200: TradesResponse, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> HttpResponse:
        watch = Stopwatch()
        query = parse_query(TradesQuery, request)
        result = node_trades(symbol=query["symbol"], limit=query["limit"])
        return json_response(result.data, source=result.source, response_time_ms=watch.ms())


class CorporateActionsView(APIView):
    @extend_schema(
        operation_id="market_data_corporate_actions",
        summary="Dividends and splits per symbol, oldest first (node to node)",
        tags=NODE_TAG,
        parameters=[ActionsQuery],
        responses={200: ActionsResponse, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> HttpResponse:
        watch = Stopwatch()
        result = node_corporate_actions(symbols=parse_query(ActionsQuery, request)["symbols"])
        return json_response(result.data, source=result.source, response_time_ms=watch.ms())
