"""Admin of the cachemgr app: cache rules (validated, applied in every process)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from cachemgr.models import CacheRule
from cachemgr.services.sync import rules_changed


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
