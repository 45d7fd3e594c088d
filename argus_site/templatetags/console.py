"""Filters of the console's templates: a figure that is not known prints as "—", never as 0."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

UNKNOWN = "—"


@register.filter
def pct(value: Any, digits: int = 1) -> str:
    """A 0..1 rate as a percentage."""
    if value is None:
        return UNKNOWN
    return f"{float(value) * 100:.{int(digits)}f} %"


@register.filter
def num(value: Any, digits: int = 1) -> str:
    """A number with `digits` decimals (integers as they are)."""
    if value is None:
        return UNKNOWN
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{float(value):.{int(digits)}f}"


@register.filter
def known(value: Any) -> Any:
    return UNKNOWN if value is None or value == "" else value
