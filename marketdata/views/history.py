"""GET /api/v1/market_data/history (JSON, or CSV with format=csv)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from core.envelope import success
from core.renderers import dumps
from marketdata.payloads import BAR_FIELDS
from marketdata.schemas import HistoryResponse
from marketdata.selectors import HistoryResult, history_bars
from marketdata.serializers import HistoryQuery
from marketdata.views.common import ERROR_RESPONSES, JSON, Stopwatch, degraded_extra, parse_query


def csv_response(result: HistoryResult, filename: str) -> HttpResponse:
    """The same rows as CSV, one line per bar, with the provenance on every line and in headers."""
    intraday = any("time" in row for rows in result.data.values() for row in rows)
    columns = ["symbol", "date", *(["time"] if intraday else []), *BAR_FIELDS[1:], "adjust", "source", "simulated"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    origin = result.source
    for symbol, rows in result.data.items():
        for row in rows:
            line = {**row, "symbol": symbol, "adjust": result.adjustment["type"], **origin}
            writer.writerow(["" if line.get(name) is None else line[name] for name in columns])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Argus-Source"] = origin["source"]
    response["X-Argus-Simulated"] = str(origin["simulated"]).lower()
    response["X-Argus-As-Of"] = origin["as_of"] or ""
    return response


def history_envelope(result: HistoryResult, *, response_time_ms: float) -> dict[str, Any]:
    """The spec's /history body (the Django view and the ASGI fast path send the same shape)."""
    return success(
        result.data,
        total_records=result.total_records,
        period=result.period,
        adjustment=result.adjustment,
        cache_hit=result.cache_hit,
        cache_age_seconds=result.cache_age_seconds,
        source=result.source,
        response_time_ms=response_time_ms,
        **degraded_extra(),
    )


class HistoryView(APIView):
    @extend_schema(
        operation_id="market_data_history",
        tags=["market data"],
        summary="History bars (获取历史行情数据)",
        parameters=[HistoryQuery],
        responses={
            (200, "application/json"): HistoryResponse,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="format=csv: the same rows as CSV"),
            **ERROR_RESPONSES,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        watch = Stopwatch()
        query = parse_query(HistoryQuery, request)
        result = history_bars(
            symbols=query["symbols"],
            start=query["start_date"],
            end=query["end_date"],
            period=query["period"],
            adjust=query["adjust"],
            use_cache=query["use_cache"],
            adjust_anchor=query["adjust_anchor"],
        )
        if query["format"] == "csv":
            symbols = "_".join(query["symbols"][:3])
            name = f"history_{symbols}_{result.period}_{query['start_date']}_{query['end_date']}.csv"
            return csv_response(result, name)
        return HttpResponse(dumps(history_envelope(result, response_time_ms=watch.ms())), content_type=JSON)
