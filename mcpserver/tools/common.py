"""Argument types and annotations every tool module shares."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.types import ToolAnnotations
from pydantic import Field

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)

CURSOR = Annotated[
    str | None, Field(description="The next_cursor of a previous call with the same arguments, for the next page.")
]


def symbols_field(maximum: int) -> Any:
    """The schema of a list of 1 to `maximum` symbols such as ["000001.SZ", "600000.SH"]."""
    return Field(
        min_length=1,
        max_length=maximum,
        description=f'Symbols: six digits, a dot and SH, SZ or BJ, e.g. ["000001.SZ", "600000.SH"]; '
        f"at most {maximum}. Use search_instruments to find a symbol from a name.",
    )
