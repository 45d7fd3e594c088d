"""Cache management API (缓存管理 API): thin DRF views over cachemgr.services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cachemgr.schemas import (
    ERRORS,
    TAGS,
    CacheClearQuery,
    CacheClearResponse,
    CacheConfigResponse,
    CacheConfigUpdate,
    CacheOptimizeResponse,
    CacheStatsResponse,
)
from cachemgr.services import (
    cache_cleanup_expired,
    cache_clear,
    cache_config,
    cache_optimize,
    cache_stats,
    optimization_body,
    rule_update,
)
from cachemgr.services.stats import MB
from core.envelope import success
from core.errors import InvalidParameter


class CacheStatsView(APIView):
    @extend_schema(
        operation_id="cache_stats",
        summary="Cache statistics (获取缓存统计)",
        tags=TAGS,
        responses={200: CacheStatsResponse, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response(success(cache_stats()))


class CacheClearView(APIView):
    @extend_schema(
        operation_id="cache_clear",
        summary="Clear the cache (清理缓存)",
        tags=TAGS,
        parameters=[CacheClearQuery],
        responses={200: CacheClearResponse, **ERRORS},
    )
    def delete(self, request: Request) -> Response:
        cache_type = request.query_params.get("cache_type", "all")
        if cache_type == "":
            raise InvalidParameter(
                "cache_type is empty: omit it to clear all, or give market_data, history_data or basic_info"
            )
        level = request.query_params.get("level")
        if level == "":
            raise InvalidParameter("level is empty: omit it to clear every level, or give L1, L2 or L3")
        try:
            cleared = cache_clear(cache_type=cache_type, level=level)
        except ValueError as exc:
            raise InvalidParameter(str(exc)) from exc
        return Response(
            success(
                message="缓存清理完成" if cleared.complete else "缓存清理完成（部分进程或存储未响应，数字偏少）",
                cleared_keys=cleared.keys,
                freed_memory_mb=round(cleared.bytes / MB, 6),
            )
        )


class CacheCleanupView(APIView):
    """POST /api/v1/cache/cleanup: drop expired entries only (the guide's cleanup_expired)."""

    @extend_schema(
        operation_id="cache_cleanup",
        summary="Drop expired cache entries only (清理过期缓存)",
        tags=TAGS,
        request=None,
        responses={200: CacheClearResponse, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        cleared = cache_cleanup_expired()
        return Response(
            success(
                message="过期缓存已清理" if cleared.complete else "过期缓存已清理（部分进程未响应，数字偏少）",
                cleared_keys=cleared.keys,
                freed_memory_mb=round(cleared.bytes / MB, 6),
            )
        )


class CacheOptimizeView(APIView):
    @extend_schema(
        operation_id="cache_optimize",
        summary="Optimize the cache (优化缓存)",
        tags=TAGS,
        request=None,
        responses={200: CacheOptimizeResponse, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        result = cache_optimize()
        return Response(
            success(
                message="缓存优化完成",
                optimizations=result.changes,
                performance_improvement=optimization_body(result),
            )
        )


class CacheConfigView(APIView):
    @extend_schema(
        operation_id="cache_config",
        summary="Cache rules (获取缓存配置)",
        tags=TAGS,
        responses={200: CacheConfigResponse, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        return Response(success(cache_config()))

    @extend_schema(
        operation_id="cache_config_patch",
        summary="Change some fields of cache rules",
        tags=TAGS,
        request=CacheConfigUpdate,
        responses={200: CacheConfigResponse, **ERRORS},
    )
    def patch(self, request: Request) -> Response:
        return self._update(request, partial=True)

    @extend_schema(
        operation_id="cache_config_put",
        summary="Replace cache rules (ttl, max_size, level and priority of each)",
        tags=TAGS,
        request=CacheConfigUpdate,
        responses={200: CacheConfigResponse, **ERRORS},
    )
    def put(self, request: Request) -> Response:
        return self._update(request, partial=False)

    def _update(self, request: Request, *, partial: bool) -> Response:
        rules = _rules_in(request.data)
        required = {"ttl", "max_size", "level", "priority"}
        for name, changes in rules.items():
            missing = required - set(changes)
            if not partial and missing:
                raise InvalidParameter(f"{name}: PUT needs {', '.join(sorted(missing))} too (or use PATCH)")
        try:
            for name, changes in rules.items():
                rule_update(name, changes)
        except ValueError as exc:
            raise InvalidParameter(str(exc)) from exc
        return Response(success(cache_config(), message="缓存配置已更新"))


def _rules_in(body: Any) -> dict[str, dict[str, Any]]:
    """`{"cache_rules": {NAME: {field: value}}}` from the body, with JSON types checked."""
    rules = body.get("cache_rules") if isinstance(body, dict) else None
    if not isinstance(rules, dict) or not rules:
        raise InvalidParameter('send {"cache_rules": {"LATEST_DATA": {"ttl": 45}}}: one or more rules to change')
    for name, changes in rules.items():
        if not isinstance(changes, dict):
            raise InvalidParameter(f"cache_rules.{name} must be an object of fields to change")
        for field in ("ttl", "max_size", "min_ttl", "max_ttl"):
            value = changes.get(field)
            if field in changes and (not isinstance(value, int) or isinstance(value, bool)):
                raise InvalidParameter(f"cache_rules.{name}.{field} must be an integer, got {value!r}")
        for field in ("level", "priority"):
            if field in changes and not isinstance(changes[field], str):
                raise InvalidParameter(f"cache_rules.{name}.{field} must be a string")
    return rules
