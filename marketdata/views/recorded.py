"""GET /api/v1/market_data/recorded_ticks (JSON, or CSV with format=csv) and /coverage."""

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
from marketdata.recorded import QUOTE_COLUMNS
from marketdata.schemas import CoverageResponse, RecordedTicksResponse
from marketdata.selectors.coverage import coverage_ledger
from marketdata.selectors.recorded import RecordedResult, recorded_ticks
from marketdata.serializers import CoverageQuery, RecordedTicksQuery
from marketdata.views.common import ERROR_RESPONSES, JSON, Stopwatch, degraded_extra, parse_query

CSV_COLUMNS = ("symbol", "seq", "trading_day", *[c for c in QUOTE_COLUMNS if c != "symbol"], "status")


def recorded_csv(result: RecordedResult, filename: str) -> HttpResponse:
    """This page as CSV, one line per tick, provenance on every line and in headers (as /history's CSV)."""
    columns = [*CSV_COLUMNS, "source", "simulated"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    origin = result.source
    for symbol, quote in result.page.rows:
        line = {**quote, "symbol": symbol, "source": origin["source"]}
        writer.writerow(["" if line.get(name) is None else line[name] for name in columns])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Argus-Source"] = origin["source"]
    response["X-Argus-Simulated"] = str(origin["simulated"]).lower()
    response["X-Argus-As-Of"] = origin["as_of"] or ""
    response["X-Argus-Recorded"] = "true"
    if result.page.next_cursor:
        response["X-Argus-Next-Cursor"] = result.page.next_cursor
    return response


def recorded_envelope(result: RecordedResult, *, response_time_ms: float) -> dict[str, Any]:
    return success(
        result.data,
        total_records=result.total_records,
        paging=result.page.describe(),
        archive=result.archive,
        source=result.source,
        response_time_ms=response_time_ms,
        **degraded_extra(),
    )


class RecordedTicksView(APIView):
    @extend_schema(
        operation_id="market_data_recorded_ticks",
        tags=["market data"],
        summary="Recorded ticks of a past or current session (录制的逐笔快照)",
        description=(
            "Every tick the feed accepted on `date` (after dropping unchanged ones), as the tick recorder "
            "archived it: the quote shape plus its stream `seq`, `trading_day` and `status`. Paged: at most "
            "`limit` ticks per call (all symbols together); when `paging.truncated`, call again with "
            "`cursor=paging.next_cursor`. `archive` says where the recording begins and ends (a writer "
            "that is not `closed` crashed or is still recording: ticks after its `recorded_through` "
            "may be missing). `source.recorded` is true and `source.source` names the source that "
            "produced the ticks."
        ),
        parameters=[RecordedTicksQuery],
        responses={
            (200, "application/json"): RecordedTicksResponse,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="format=csv: the same page as CSV"),
            **ERROR_RESPONSES,
        },
    )
    def get(self, request: Request) -> HttpResponse:
        watch = Stopwatch()
        query = parse_query(RecordedTicksQuery, request)
        result = recorded_ticks(
            symbols=query["symbols"],
            day=query["date"],
            start_time=query["start_time"],
            end_time=query["end_time"],
            cursor=query["cursor"],
            limit=query["limit"],
        )
        if query["format"] == "csv":
            name = f"recorded_ticks_{'_'.join(query['symbols'][:3])}_{query['date']}_{result.page.offset}.csv"
            return recorded_csv(result, name)
        return HttpResponse(dumps(recorded_envelope(result, response_time_ms=watch.ms())), content_type=JSON)


class CoverageView(APIView):
    @extend_schema(
        operation_id="market_data_coverage",
        tags=["market data"],
        summary="Bar ledger: expected vs recorded 1-minute intervals (分钟覆盖)",
        description=(
            "Per symbol on `date`: the 1-minute intervals the calendar and sessions expect (240 on a "
            "trading day, 09:30-11:30 and 13:00-15:00), how many saw at least one recorded tick, and "
            "each gap with its reason: `suspended` (the symbol's status), `not_recorded` (no recorder "
            "ran then, e.g. after a crash's last flush), `feed_down` (the recorder ran but the feed did "
            "not poll), `no_trade` (the feed polled, the snapshot did not change). Today's minutes "
            "that have not begun are `pending_minutes`, not missing."
        ),
        parameters=[CoverageQuery],
        responses={(200, "application/json"): CoverageResponse, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> HttpResponse:
        watch = Stopwatch()
        query = parse_query(CoverageQuery, request)
        ledger = coverage_ledger(symbols=query["symbols"], day=query["date"])
        body = success(
            ledger["data"],
            archive=ledger["archive"],
            source=ledger["source"],
            response_time_ms=watch.ms(),
            **degraded_extra(),
        )
        return HttpResponse(dumps(body), content_type=JSON)
