"""Admin of the monitoring app: API keys (shown once, revocable), alert rules and alert events."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import mark_safe

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


FIRING_BADGE = (
    '<span class="argus-firing" style="background:#ba2121;color:#fff;padding:1px 7px;border-radius:3px;'
    'font-weight:bold">firing</span>'
)


def firing_badge(firing: bool) -> str:
    """A firing alert as a red "firing" badge (not Django's green tick, which reads as "all is well")."""
    return mark_safe(FIRING_BADGE if firing else '<span style="color:#666">ok</span>')  # constants, no input


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin[AlertRule]):
    # The threshold is its own (editable) column; rule names do not repeat it.
    list_display = [
        "name",
        "metric",
        "operator",
        "threshold",
        "min_samples",
        "enabled",
        "state",
        "last_value",
        "last_evaluated_at",
    ]
    list_editable = ["threshold", "min_samples", "enabled"]
    list_filter = ["firing", "enabled", "metric"]
    readonly_fields = ["state", "last_value", "last_evaluated_at"]
    fields = ["name", "metric", "operator", "threshold", "min_samples", "enabled", *readonly_fields]

    @admin.display(description="state", ordering="firing")
    def state(self, obj: AlertRule) -> str:
        return firing_badge(obj.firing)


@admin.register(AlertEvent)
class AlertEventAdmin(admin.ModelAdmin[AlertEvent]):
    list_display = ["created_at", "rule", "event", "value", "threshold", "webhook_status"]
    list_filter = ["kind", "rule"]
    readonly_fields = [f.name for f in AlertEvent._meta.fields]

    @admin.display(description="kind", ordering="kind")
    def event(self, obj: AlertEvent) -> str:
        return firing_badge(True) if obj.kind == AlertEvent.Kind.FIRING else "resolved"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
