"""Admin of the monitoring app: API keys (shown once, revocable), alert rules and alert events."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from monitoring.models import AlertEvent, AlertRule, ApiKey, Scope
from monitoring.services.apikeys import api_key_assign_secret, api_key_revoke


class ApiKeyForm(forms.ModelForm[ApiKey]):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = ["name", "scopes"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    form = ApiKeyForm
    list_display = ["name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        raw = None if change else api_key_assign_secret(obj)
        super().save_model(request, obj, form, change)
        if raw is not None:
            messages.warning(
                request,
                f"API key for '{obj.name}': {raw}. Copy it now; it is stored hashed and will not be shown again.",
            )

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        keys = list(queryset.filter(revoked_at__isnull=True))
        for key in keys:
            api_key_revoke(key)
        messages.info(request, f"revoked {len(keys)} key(s)")


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin[AlertRule]):
    list_display = ["name", "metric", "operator", "threshold", "enabled", "firing", "last_value", "last_evaluated_at"]
    list_editable = ["threshold", "enabled"]
    readonly_fields = ["firing", "last_value", "last_evaluated_at"]


@admin.register(AlertEvent)
class AlertEventAdmin(admin.ModelAdmin[AlertEvent]):
    list_display = ["created_at", "rule", "kind", "value", "threshold", "webhook_status"]
    list_filter = ["kind", "rule"]
    readonly_fields = [f.name for f in AlertEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
