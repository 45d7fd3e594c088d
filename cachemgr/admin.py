"""Admin of the cachemgr app: cache rules (validated, applied in every process) and preloading instruments."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from cachemgr.models import CacheRule
from cachemgr.services import cache_preload
from cachemgr.services.sync import rules_changed
from marketdata.models import Instrument


@admin.register(CacheRule)
class CacheRuleAdmin(admin.ModelAdmin[CacheRule]):
    list_display = ["name", "level", "ttl", "max_size", "priority", "min_ttl", "max_ttl", "updated_at"]
    readonly_fields = ["updated_at"]

    def save_model(self, request: HttpRequest, obj: CacheRule, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        rules_changed()

    def delete_model(self, request: HttpRequest, obj: CacheRule) -> None:
        super().delete_model(request, obj)
        rules_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CacheRule]) -> None:
        super().delete_queryset(request, queryset)
        rules_changed()


@admin.action(description="预加载到缓存 (preload quotes, info and recent bars into the cache)")
def preload_into_cache(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Instrument]) -> None:
    report = cache_preload(list(queryset.values_list("symbol", flat=True)))
    loaded = ", ".join(f"{rule} {count}" for rule, count in report.loaded.items())
    modeladmin.message_user(request, f"preloaded: {loaded}", messages.SUCCESS)
    if report.unknown:
        modeladmin.message_user(request, f"unknown to the source: {', '.join(report.unknown)}", messages.WARNING)


# The Instrument admin belongs to marketdata; the cache adds its action to it from here.
_instrument_admin = admin.site.get_model_admin(Instrument)
_instrument_admin.actions = [*(_instrument_admin.actions or []), preload_into_cache]
