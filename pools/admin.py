"""Admin of the pools app: pools with inline nodes, and health-check and scale actions."""

from __future__ import annotations

import math
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from core.errors import ApiError
from pools.models import PoolConfig, ServerNode
from pools.registry import pools_changed
from pools.services import pool_health_check, pool_scale


class ServerNodeInline(admin.TabularInline[ServerNode, PoolConfig]):
    model = ServerNode
    extra = 0
    fields = (
        "host",
        "port",
        "weight",
        "max_connections",
        "healthy",
        "last_health_check",
        "response_time_ms",
        "last_error",
    )
    readonly_fields = ("healthy", "last_health_check", "response_time_ms", "last_error")


@admin.register(PoolConfig)
class PoolConfigAdmin(admin.ModelAdmin[PoolConfig]):
    list_display = (
        "name",
        "load_balance_strategy",
        "current_size",
        "min_size",
        "max_size",
        "auto_scale",
        "nodes_summary",
    )
    search_fields = ("name",)
    readonly_fields = ("last_health_check", "created_at", "updated_at")
    inlines = [ServerNodeInline]
    actions = ["run_health_check", "scale_up", "scale_down"]

    @admin.display(description="nodes healthy")
    def nodes_summary(self, pool: PoolConfig) -> str:
        nodes = list(pool.nodes.all())
        return f"{sum(1 for n in nodes if n.healthy)}/{len(nodes)}"

    def get_queryset(self, request: HttpRequest) -> QuerySet[PoolConfig]:
        return super().get_queryset(request).prefetch_related("nodes")

    def save_model(self, request: HttpRequest, obj: PoolConfig, form: ModelForm[PoolConfig], change: bool) -> None:
        if not change:
            obj.current_size = obj.initial_size
        obj.current_size = min(max(obj.current_size, obj.min_size), obj.max_size)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        pools_changed()  # every process reloads the edited rows

    def delete_model(self, request: HttpRequest, obj: PoolConfig) -> None:
        super().delete_model(request, obj)
        pools_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PoolConfig]) -> None:
        super().delete_queryset(request, queryset)
        pools_changed()

    @admin.action(description="Run a health check of the selected pools' nodes")
    def run_health_check(self, request: HttpRequest, queryset: QuerySet[PoolConfig]) -> None:
        for pool in queryset:
            nodes = pool_health_check(name=pool.name)
            healthy = sum(1 for n in nodes if n.healthy)
            level = messages.SUCCESS if healthy == len(nodes) else messages.WARNING
            self.message_user(request, f"{pool.name}: {healthy}/{len(nodes)} nodes healthy", level)

    @admin.action(description="Scale up by scale_factor (up to max_size)")
    def scale_up(self, request: HttpRequest, queryset: QuerySet[PoolConfig]) -> None:
        for pool in queryset:
            target = min(pool.max_size, max(pool.current_size + 1, math.ceil(pool.current_size * pool.scale_factor)))
            self._scale(request, pool, target)

    @admin.action(description="Scale down by scale_factor (down to min_size)")
    def scale_down(self, request: HttpRequest, queryset: QuerySet[PoolConfig]) -> None:
        for pool in queryset:
            self._scale(request, pool, max(pool.min_size, math.floor(pool.current_size / pool.scale_factor)))

    def _scale(self, request: HttpRequest, pool: PoolConfig, target: int) -> None:
        try:
            result = pool_scale(name=pool.name, target_size=target, reason=f"admin ({request.user})")
        except ApiError as exc:
            self.message_user(request, f"{pool.name}: {exc.details}", messages.ERROR)
            return
        self.message_user(request, f"{pool.name}: scaled from {result.previous_size} to {result.new_size}")
