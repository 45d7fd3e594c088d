"""DRF serializers: query validation (with messages that say what to fix) and the OpenAPI response shapes.

Hot paths never serialise responses through these; they only describe them for the schema.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from marketdata.payloads import FULL_FIELD_CHOICES, QUOTE_FIELDS
from marketdata.selectors import (
    FULL_MAX_SYMBOLS,
    HISTORY_MAX_SYMBOLS,
    INSTRUMENT_MAX_SYMBOLS,
    LATEST_MAX_SYMBOLS,
)
from marketdata.selectors.recorded import RECORDED_DEFAULT_ROWS, RECORDED_MAX_SYMBOLS, RECORDED_ROW_CAP
from marketdata.selectors.reference import CALENDAR_MAX_DAYS
from marketdata.sources.base import PERIODS
from marketdata.symbols import InvalidSymbol, parse_symbols, symbol_pattern


def _choice(choices: Sequence[Any], **kwargs: Any) -> serializers.ChoiceField:
    valid = ", ".join(str(choice) for choice in choices)
    return serializers.ChoiceField(
        choices=list(choices), error_messages={"invalid_choice": f"'{{input}}' is not one of {valid}"}, **kwargs
    )


class DayField(serializers.DateField):
    """YYYY-MM-DD; a well-formed day that does not exist (2024-02-30) is reported as such."""

    def to_internal_value(self, value: Any) -> Any:
        text = str(value).strip()
        match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            if not 1 <= month <= 12:
                raise serializers.ValidationError(
                    f"{text} is not a day: there is no month {month:02d} (dates are YYYY-MM-DD)"
                )
            last = calendar.monthrange(year, month)[1]
            if not 1 <= day <= last:
                raise serializers.ValidationError(
                    f"{text} is not a day: {calendar.month_name[month]} {year} has {last} days"
                )
        return super().to_internal_value(text)


def _date(**kwargs: Any) -> serializers.DateField:
    return DayField(
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "not a date: use YYYY-MM-DD, e.g. 2024-01-31"},
        **kwargs,
    )


def csv_pattern(item: str, *, maximum: int | None = None) -> str:
    """A comma list of `item`s as the parsers read one: blanks around items and empty items ignored."""
    more = "*" if maximum is None else f"{{0,{maximum - 1}}}"
    return rf"^[\s,]*{item}(?:\s*,[\s,]*{item}){more}[\s,]*$"


class SymbolsField(serializers.CharField):
    """A comma list of symbols, parsed by marketdata.symbols (duplicates folded, at most `maximum`).

    The schema states the exact pattern parse_symbols accepts (tests/test_schema_fuzz.py holds them to it).
    """

    def __init__(self, *, maximum: int, **kwargs: Any) -> None:
        self.maximum = maximum
        kwargs.setdefault("help_text", f"comma-separated symbols such as 000001.SZ,600000.SH; at most {maximum}")
        super().__init__(**kwargs)
        self.schema_pattern = csv_pattern(symbol_pattern(), maximum=maximum)

    def to_internal_value(self, data: Any) -> list[str]:  # type: ignore[override]
        try:
            return parse_symbols(str(super().to_internal_value(data)), maximum=self.maximum)
        except InvalidSymbol as exc:
            raise serializers.ValidationError(str(exc)) from exc


class CsvChoiceField(serializers.CharField):
    """A comma list whose items must each be one of `choices`; the error names the valid ones."""

    def __init__(self, *, choices: Sequence[str], **kwargs: Any) -> None:
        self.valid = tuple(choices)
        super().__init__(**kwargs)
        self.schema_pattern = csv_pattern("(?:" + "|".join(re.escape(choice) for choice in self.valid) + ")")

    def to_internal_value(self, data: Any) -> list[str]:  # type: ignore[override]
        items = list(dict.fromkeys(item.strip() for item in str(data).split(",") if item.strip()))
        unknown = [item for item in items if item not in self.valid]
        if unknown or not items:
            raise serializers.ValidationError(
                f"unknown field(s) {', '.join(unknown) or '(empty)'}; valid fields: {', '.join(self.valid)}"
            )
        return items


class DateRangeMixin(serializers.Serializer):
    start_date = _date(help_text="first day, YYYY-MM-DD")
    end_date = _date(help_text="last day, YYYY-MM-DD, not before start_date")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["start_date"] > attrs["end_date"]:
            raise serializers.ValidationError(
                f"start_date {attrs['start_date']} is after end_date {attrs['end_date']}; swap them"
            )
        return attrs


class LatestQuery(serializers.Serializer):
    symbols = SymbolsField(maximum=LATEST_MAX_SYMBOLS)
    fields = CsvChoiceField(  # type: ignore[assignment]
        choices=QUOTE_FIELDS, required=False, help_text=f"subset of {', '.join(QUOTE_FIELDS)}"
    )
    use_cache = serializers.BooleanField(default=True, help_text="false reads the source and refreshes the cache")


class FullQuery(serializers.Serializer):
    symbols = SymbolsField(maximum=FULL_MAX_SYMBOLS)
    fields = CsvChoiceField(  # type: ignore[assignment]
        choices=FULL_FIELD_CHOICES,
        required=False,
        help_text="all (default), any of basic,orderbook,trades, or the guide's names: basic fields "
        "(price,volume,...) select from basic, bid/ask one side of the order book",
    )
    depth = _choice([5, 10, 20], default=5, help_text="order-book levels per side")
    use_cache = serializers.BooleanField(default=True)


class HistoryQuery(DateRangeMixin):
    symbols = SymbolsField(maximum=HISTORY_MAX_SYMBOLS)
    period = _choice(PERIODS, default="1d", help_text="bar period")
    adjust = _choice(["none", "pre", "post"], default="none", help_text="none, pre (前复权) or post (后复权)")
    adjust_anchor = _date(
        required=False,
        default=None,
        help_text="with adjust=pre|post: the factors as known on this day, YYYY-MM-DD (ex-dates after it are "
        "left out), so a series can be reproduced later; default: the factors known today",
    )
    format = _choice(["json", "csv"], default="json", help_text="csv returns the same rows as a CSV download")
    use_cache = serializers.BooleanField(default=True)


class ExchangeTimeField(serializers.TimeField):
    """HH:MM:SS or HH:MM exchange time, exactly as the schema's pattern says (strptime alone would
    also take 9:3:0, and the schema's `format: time` would promise offsets such as 09:30:00Z)."""

    schema_pattern = r"^(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$"

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not re.fullmatch(self.schema_pattern, value):
            self.fail("invalid", format="HH:MM:SS")
        return super().to_internal_value(value)


def _time(**kwargs: Any) -> serializers.TimeField:
    return ExchangeTimeField(
        input_formats=["%H:%M:%S", "%H:%M"],
        error_messages={"invalid": "not a time: use HH:MM:SS (exchange time, Asia/Shanghai), e.g. 09:30:00"},
        **kwargs,
    )


class RecordedTicksQuery(serializers.Serializer):
    symbols = SymbolsField(maximum=RECORDED_MAX_SYMBOLS)
    date = _date(help_text="the trading day recorded, YYYY-MM-DD")
    start_time = _time(required=False, default=None, help_text="first moment, HH:MM:SS exchange time (inclusive)")
    end_time = _time(required=False, default=None, help_text="last moment, HH:MM:SS exchange time (inclusive)")
    limit = serializers.IntegerField(
        min_value=1,
        max_value=RECORDED_ROW_CAP,
        default=RECORDED_DEFAULT_ROWS,
        help_text=f"at most this many ticks per page (all symbols together; at most {RECORDED_ROW_CAP})",
    )
    cursor = serializers.CharField(
        required=False, default=None, help_text="paging.next_cursor of the previous page of the same query"
    )
    format = _choice(["json", "csv"], default="json", help_text="csv returns the same page as a CSV download")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["start_time"] and attrs["end_time"] and attrs["start_time"] > attrs["end_time"]:
            raise serializers.ValidationError(
                f"start_time {attrs['start_time']} is after end_time {attrs['end_time']}; swap them"
            )
        return attrs


class CoverageQuery(serializers.Serializer):
    symbols = SymbolsField(maximum=RECORDED_MAX_SYMBOLS)
    date = _date(help_text="the trading day, YYYY-MM-DD")


class InstrumentQuery(serializers.Serializer):
    symbols = SymbolsField(maximum=INSTRUMENT_MAX_SYMBOLS)
    use_cache = serializers.BooleanField(default=True)


class TradingDatesQuery(DateRangeMixin):
    market = _choice(["SH", "SZ", "BJ", "ALL"], default="ALL", help_text="SH, SZ, BJ or ALL (any market open)")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if (attrs["end_date"] - attrs["start_date"]).days >= CALENDAR_MAX_DAYS:
            raise serializers.ValidationError(f"at most {CALENDAR_MAX_DAYS} calendar days per request; split the range")
        return attrs


class _PatternSchema(OpenApiSerializerFieldExtension):
    """drf-spectacular: a comma-list field is a string with the exact pattern its parser accepts."""

    target_class = "marketdata.serializers.SymbolsField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {"type": "string", "pattern": self.target.schema_pattern}


class _CsvChoiceSchema(_PatternSchema):
    target_class = "marketdata.serializers.CsvChoiceField"


class _TimeSchema(_PatternSchema):
    target_class = "marketdata.serializers.ExchangeTimeField"
