"""OpenAPI shapes of the cache API (documentation only; the views build the answers)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from cachemgr.models import LEVELS, MAX_SIZE_LIMIT, MAX_TTL_SECONDS, PRIORITIES
from core.schemas import BodySchema, DataEnvelopeSchema, ErrorResponse, num

TAGS = ["cache"]
CACHE_TYPES = ["market_data", "history_data", "basic_info", "all"]


class LevelStatsSchema(serializers.Serializer):
    keys = serializers.IntegerField(allow_null=True)
    hit_rate = num(allow_null=True, help_text="hits / lookups that reached this level; null before any")
    memory_mb = num(allow_null=True)


class CacheStatsSchema(serializers.Serializer):
    total_keys = serializers.IntegerField(allow_null=True)
    hit_rate = num(allow_null=True, help_text="cached answers / reads with use_cache; null before any read")
    miss_rate = num(allow_null=True)
    memory_usage_mb = num(allow_null=True)
    cache_levels = serializers.DictField(child=LevelStatsSchema(), help_text="L1, L2 and L3")
    requests = serializers.IntegerField(help_text="reads counted")
    processes = serializers.IntegerField(help_text="processes whose figures are summed")


class CacheStatsResponse(DataEnvelopeSchema):
    data = CacheStatsSchema()  # type: ignore[assignment]


class CacheClearQuery(serializers.Serializer):
    cache_type = serializers.ChoiceField(choices=CACHE_TYPES, required=False, help_text="default: all")
    level = serializers.ChoiceField(choices=list(LEVELS), required=False, help_text="default: every level")


class CacheClearResponse(BodySchema):
    cleared_keys = serializers.IntegerField(help_text="keys really deleted, summed over every process")
    freed_memory_mb = num()


class ImprovementSchema(serializers.Serializer):
    hit_rate_before = num(allow_null=True, help_text="the window's measured hit rate")
    hit_rate_after = num(allow_null=True, help_text="null: not measurable until traffic runs under the new rules")
    memory_saved_mb = num()
    window_seconds = num(allow_null=True)


class CacheOptimizeResponse(BodySchema):
    optimizations = serializers.ListField(child=serializers.CharField(), help_text="what it did, one line each")
    performance_improvement = ImprovementSchema()


class CacheRuleSchema(serializers.Serializer):
    ttl = serializers.IntegerField(min_value=1, max_value=MAX_TTL_SECONDS)
    max_size = serializers.IntegerField(min_value=1, max_value=MAX_SIZE_LIMIT)
    level = serializers.ChoiceField(choices=list(LEVELS))
    priority = serializers.ChoiceField(choices=list(PRIORITIES))
    min_ttl = serializers.IntegerField(min_value=1, help_text="lowest TTL optimize may set")
    max_ttl = serializers.IntegerField(min_value=1, help_text="highest TTL optimize may set")


class CacheRulePatchSchema(CacheRuleSchema):
    """PATCH: any of the fields; PUT: ttl, max_size, level and priority."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for field in self.fields.values():
            field.required = False


class CacheConfigSchema(serializers.Serializer):
    cache_rules = serializers.DictField(
        child=CacheRuleSchema(), help_text="by rule name: LATEST_DATA, HISTORY_DATA, BASIC_INFO"
    )


class CacheConfigResponse(DataEnvelopeSchema):
    data = CacheConfigSchema()  # type: ignore[assignment]


class CacheConfigUpdate(serializers.Serializer):
    cache_rules = serializers.DictField(
        child=CacheRulePatchSchema(), help_text='the rules to change, e.g. {"LATEST_DATA": {"ttl": 45}}'
    )


ERRORS = {
    400: OpenApiResponse(ErrorResponse, description="INVALID_PARAMETER: details says what to fix"),
    401: OpenApiResponse(ErrorResponse, description="UNAUTHORIZED: an unknown or revoked API key"),
    403: OpenApiResponse(ErrorResponse, description="FORBIDDEN: the key lacks cache:manage"),
    429: OpenApiResponse(ErrorResponse, description="RATE_LIMIT_EXCEEDED (management class); see Retry-After"),
    500: OpenApiResponse(ErrorResponse, description="CACHE_ERROR or INTERNAL_ERROR"),
}
