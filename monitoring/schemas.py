"""OpenAPI description of /health, /metrics and /api/v1/metrics/* (documentation only).

Those endpoints are plain Django views (no DRF on the probe path: no content negotiation, no
authentication classes, their own 405). drf-spectacular documents DRF views only, so each gets a
documentation class here, an `APIView` whose `get` is never called, attached to the served view as
`cls` (`documented`), the attribute DRF's schema generators read from a URL callback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from core.schemas import DataEnvelopeSchema, ErrorResponse, num

TAGS = ["monitoring"]
NOT_GET = OpenApiResponse(ErrorResponse, description="METHOD_NOT_ALLOWED for anything but GET (Allow: GET)")


class ServicesSchema(serializers.Serializer):
    database = serializers.CharField(help_text="healthy or unhealthy")
    cache = serializers.CharField(help_text="healthy, degraded or unhealthy")
    xtquant = serializers.CharField(help_text="the data source: healthy, degraded or unhealthy")


class HealthSchema(serializers.Serializer):
    status = serializers.ChoiceField(choices=["healthy", "degraded", "unhealthy"])
    timestamp = serializers.CharField()
    version = serializers.CharField()
    uptime_seconds = serializers.IntegerField()
    services = ServicesSchema()
    details = serializers.DictField(
        child=serializers.DictField(), help_text="per service (database, cache, xtquant, feed): what each probe saw"
    )


class NetworkSchema(serializers.Serializer):
    bytes_sent = serializers.IntegerField()
    bytes_recv = serializers.IntegerField()


class ProcessSchema(serializers.Serializer):
    pid = serializers.IntegerField()
    threads = serializers.IntegerField()
    open_files = serializers.IntegerField()


class SystemMetricsSchema(serializers.Serializer):
    cpu_percent = num()
    memory_percent = num()
    disk_usage_percent = num(help_text="the disk holding the checkout")
    network_io = NetworkSchema()
    process_info = ProcessSchema(help_text="the answering process")


class SystemMetricsResponse(DataEnvelopeSchema):
    data = SystemMetricsSchema()  # type: ignore[assignment]


class ServiceMetricsSchema(serializers.Serializer):
    requests_total = serializers.IntegerField(help_text="since the counters began, summed over every process")
    requests_per_second = num(allow_null=True, help_text="over the last ARGUS_METRICS_WINDOW seconds")
    avg_response_time_ms = num(allow_null=True)
    error_rate = num(allow_null=True, help_text="share of 5xx answers")
    active_connections = serializers.IntegerField(help_text="open WebSockets")
    cache_hit_rate = num(allow_null=True)
    database_connections = serializers.IntegerField(allow_null=True, help_text="PostgreSQL sessions; null on SQLite")


class ServiceMetricsResponse(DataEnvelopeSchema):
    data = ServiceMetricsSchema()  # type: ignore[assignment]


class HealthDoc(APIView):
    @extend_schema(
        operation_id="health",
        summary="Health check (健康检查)",
        description="healthy and degraded answer 200 (the service is serving); unhealthy (no database) answers 503 "
        "with Retry-After. Not rate limited; no API key needed.",
        tags=TAGS,
        responses={
            200: OpenApiResponse(HealthSchema, description="healthy or degraded"),
            503: OpenApiResponse(HealthSchema, description="unhealthy: the database does not answer"),
            405: NOT_GET,
        },
    )
    def get(self, request: Any) -> Any:
        raise NotImplementedError  # documentation only: monitoring.views.health answers


class SystemMetricsDoc(APIView):
    @extend_schema(
        operation_id="metrics_system",
        summary="System metrics (系统指标)",
        tags=TAGS,
        responses={200: SystemMetricsResponse, 405: NOT_GET},
    )
    def get(self, request: Any) -> Any:
        raise NotImplementedError  # documentation only: monitoring.views.metrics_system answers


class ServiceMetricsDoc(APIView):
    @extend_schema(
        operation_id="metrics_service",
        summary="Service metrics (服务指标)",
        tags=TAGS,
        responses={200: ServiceMetricsResponse, 405: NOT_GET},
    )
    def get(self, request: Any) -> Any:
        raise NotImplementedError  # documentation only: monitoring.views.metrics_service answers


class PrometheusDoc(APIView):
    @extend_schema(
        operation_id="metrics_prometheus",
        summary="Prometheus metrics",
        description="The text exposition format (version 0.0.4): the service figures plus "
        "argus_http_request_duration_seconds histograms per endpoint.",
        tags=TAGS,
        responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR), 405: NOT_GET},
    )
    def get(self, request: Any) -> Any:
        raise NotImplementedError  # documentation only: monitoring.views.prometheus answers


View = Callable[..., Any]


def documented(view: View, doc: type[APIView]) -> View:
    """`view` as served, described in the OpenAPI schema by `doc`'s operations."""
    view.cls = doc  # type: ignore[attr-defined]
    view.initkwargs = {}  # type: ignore[attr-defined]
    return view
