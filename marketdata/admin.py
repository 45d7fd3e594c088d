"""Operators' views of reference data: instruments, the calendar and its overrides, imports."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core import clock
from marketdata.models import (
    Bar,
    CalendarCoverage,
    CalendarOverride,
    CorporateAction,
    HolidayImport,
    ImportBatch,
    Instrument,
    TradingDay,
)
from marketdata.services.calendar import EXTEND_HINT, calendar_changed, calendar_horizon, calendar_sync
from marketdata.services.preload import cache_preload


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin[Instrument]):
    list_display = [
        "symbol", "name", "board", "kind", "industry", "is_st", "status", "list_date", "source", "simulated",
    ]  # fmt: skip
    list_filter = ["market", "board", "kind", "status", "is_st", "source", "simulated"]
    search_fields = ["symbol", "name", "full_name", "industry"]
    readonly_fields = ["updated_at"]
    actions = ["preload_into_cache"]

    @admin.action(description="预加载到缓存 (preload quotes, info and recent bars into the cache)")
    def preload_into_cache(self, request: HttpRequest, queryset: QuerySet[Instrument]) -> None:
        report = cache_preload(list(queryset.values_list("symbol", flat=True)))
        loaded = ", ".join(f"{rule} {count}" for rule, count in report.loaded.items())
        self.message_user(request, f"preloaded: {loaded}", messages.SUCCESS)
        if report.unknown:
            self.message_user(request, f"unknown to the source: {', '.join(report.unknown)}", messages.WARNING)


@admin.register(TradingDay)
class TradingDayAdmin(admin.ModelAdmin[TradingDay]):
    list_display = ["date", "market", "source"]
    list_filter = ["market", "source"]
    date_hierarchy = "date"
    search_fields = ["date"]


@admin.register(CalendarCoverage)
class CalendarCoverageAdmin(admin.ModelAdmin[CalendarCoverage]):
    list_display = ["market", "start", "end", "days_left", "source", "synced_at"]
    readonly_fields = ["synced_at"]

    @admin.display(description="days left")
    def days_left(self, obj: CalendarCoverage) -> str:
        """Days until coverage ends (Shanghai today), flagged inside the /health horizon."""
        left = (obj.end - clock.shanghai_today()).days
        horizon = settings.ARGUS_CALENDAR_HORIZON_DAYS
        return f"{left} (within {horizon} days: {EXTEND_HINT})" if left <= horizon else str(left)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        status, reason, _ = calendar_horizon()
        if status != "healthy":
            self.message_user(request, reason, messages.WARNING)
        return super().changelist_view(request, extra_context)


@admin.register(HolidayImport)
class HolidayImportAdmin(admin.ModelAdmin[HolidayImport]):
    """Imported holiday notices (`manage.py import_holidays FILE`); deleting one re-syncs without it."""

    list_display = ["year", "market", "source", "imported_at"]
    list_filter = ["market"]
    readonly_fields = ["imported_at"]

    def delete_model(self, request: HttpRequest, obj: HolidayImport) -> None:
        super().delete_model(request, obj)
        calendar_sync()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[HolidayImport]) -> None:
        super().delete_queryset(request, queryset)
        calendar_sync()


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin[CalendarOverride]):
    list_display = ["date", "market", "is_trading", "reason", "created_at"]
    list_filter = ["market", "is_trading"]
    search_fields = ["reason", "date"]
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: CalendarOverride, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        calendar_changed()

    def delete_model(self, request: HttpRequest, obj: CalendarOverride) -> None:
        super().delete_model(request, obj)
        calendar_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarOverride]) -> None:
        super().delete_queryset(request, queryset)
        calendar_changed()


@admin.register(Bar)
class BarAdmin(admin.ModelAdmin[Bar]):
    list_display = ["symbol", "period", "trading_day", "open", "high", "low", "close", "volume", "source_file"]
    list_filter = ["period", "source_file"]
    search_fields = ["symbol"]
    date_hierarchy = "trading_day"


@admin.register(CorporateAction)
class CorporateActionAdmin(admin.ModelAdmin[CorporateAction]):
    list_display = ["symbol", "ex_date", "cash_dividend", "share_ratio", "source"]
    list_filter = ["source"]
    search_fields = ["symbol"]
    readonly_fields = ["updated_at"]


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin[ImportBatch]):
    """What each import_bars run wrote (read-only: the newest id is the files dataset's version)."""

    list_display = ["id", "imported_at", "files", "counts", "limit_breach_reason"]
    readonly_fields = ["imported_at", "files", "counts", "limit_breach_reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportBatch | None = None) -> bool:
        return False
