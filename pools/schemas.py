"""OpenAPI shapes of the pool API (documentation only; requests are validated by pools.serializers)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from core.schemas import BodySchema, ErrorResponse, num
from pools.models import Strategy

TAGS = ["pools"]
POOL_NAME = OpenApiParameter("pool_name", OpenApiTypes.STR, OpenApiParameter.PATH, description="the pool's name")
ADDRESS = OpenApiParameter(
    "address",
    {"type": "string", "pattern": r"^[^/]+:[0-9]{1,5}$"},
    OpenApiParameter.PATH,
    description="the node as host:port, e.g. 10.0.0.5:8001",
)


class PoolSummarySchema(serializers.Serializer):
    name = serializers.CharField()
    active_connections = serializers.IntegerField()
    idle_connections = serializers.IntegerField()
    total_connections = serializers.IntegerField()
    pool_utilization = num(help_text="active / summed size")
    health_status = serializers.ChoiceField(
        choices=["healthy", "degraded", "unhealthy", "unknown"], help_text="unknown while no node has been probed"
    )
    server_nodes_count = serializers.IntegerField()
    last_update = serializers.CharField(allow_null=True, help_text="the newest measurement's time; null before any")


class PoolListResponse(BodySchema):
    pools = PoolSummarySchema(many=True)
    total_pools = serializers.IntegerField()


class CreatedConfigSchema(serializers.Serializer):
    min_size = serializers.IntegerField()
    max_size = serializers.IntegerField()
    auto_scale = serializers.BooleanField()


class PoolCreateResponse(BodySchema):
    pool_name = serializers.CharField()
    config = CreatedConfigSchema()
    server_nodes_count = serializers.IntegerField()


class NodeMetricsSchema(serializers.Serializer):
    host = serializers.CharField()
    port = serializers.IntegerField()
    health_status = serializers.BooleanField(allow_null=True, help_text="null until its first health check")
    current_connections = serializers.IntegerField()
    response_time = num(allow_null=True, help_text="ms: request average over the window, else the last probe's")


class PoolMetricsSchema(serializers.Serializer):
    active_connections = serializers.IntegerField()
    idle_connections = serializers.IntegerField()
    total_connections = serializers.IntegerField()
    pool_utilization = num()
    avg_response_time = num(allow_null=True, help_text="ms over the window; null when nothing was sent")
    error_rate = num(allow_null=True)
    throughput = num(help_text="requests/s over the window")
    server_nodes = NodeMetricsSchema(many=True)
    last_update = serializers.CharField(allow_null=True)
    window_seconds = num()
    processes = serializers.IntegerField(help_text="processes whose figures are summed")


class PoolConfigSchema(serializers.Serializer):
    min_size = serializers.IntegerField()
    max_size = serializers.IntegerField()
    timeout = num()
    auto_scale = serializers.BooleanField()
    load_balance_strategy = serializers.ChoiceField(choices=Strategy.values)
    initial_size = serializers.IntegerField()
    current_size = serializers.IntegerField()
    max_idle_time = num()
    health_check_interval = num()
    scale_factor = num()
    scale_threshold = num()


class PoolDetailResponse(BodySchema):
    pool_name = serializers.CharField()
    metrics = PoolMetricsSchema()
    config = PoolConfigSchema()


class PoolDeleteResponse(BodySchema):
    pool_name = serializers.CharField()


class PoolScaleResponse(BodySchema):
    previous_size = serializers.IntegerField()
    new_size = serializers.IntegerField()
    target_size = serializers.IntegerField()


class NodeHealthSchema(serializers.Serializer):
    host = serializers.CharField()
    port = serializers.IntegerField()
    health_status = serializers.BooleanField(allow_null=True, help_text="null until its first health check")
    current_connections = serializers.IntegerField()
    last_health_check = serializers.CharField(allow_null=True)
    response_time = num(allow_null=True, help_text="the probe's latency in ms")
    error = serializers.CharField(allow_null=True)


class PoolHealthResponse(BodySchema):
    total_nodes = serializers.IntegerField()
    healthy_nodes = serializers.IntegerField()
    unhealthy_nodes = serializers.IntegerField()
    node_details = NodeHealthSchema(many=True)


class NodeSchema(serializers.Serializer):
    host = serializers.CharField()
    port = serializers.IntegerField()
    weight = num()
    max_connections = serializers.IntegerField()


class NodeAddResponse(BodySchema):
    pool_name = serializers.CharField()
    node = NodeSchema()
    server_nodes_count = serializers.IntegerField()


class NodeRemoveResponse(BodySchema):
    pool_name = serializers.CharField()
    server_nodes_count = serializers.IntegerField()


def errors(not_found: bool = True) -> dict[int, OpenApiResponse]:
    answers = {
        400: OpenApiResponse(
            ErrorResponse, description="MISSING_PARAMETER or INVALID_PARAMETER: details says what to fix"
        ),
        401: OpenApiResponse(ErrorResponse, description="UNAUTHORIZED: an unknown or revoked API key"),
        403: OpenApiResponse(ErrorResponse, description="FORBIDDEN: the key lacks pools:manage"),
        429: OpenApiResponse(ErrorResponse, description="RATE_LIMIT_EXCEEDED (management class); see Retry-After"),
    }
    if not_found:
        answers[404] = OpenApiResponse(ErrorResponse, description="NOT_FOUND: no pool (or node) of that name")
    return answers
