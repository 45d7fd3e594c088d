"""Tool arguments are validated by the REST API's own query serializers: same rules, same messages."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, cast

from rest_framework import serializers
from rest_framework.request import Request

from marketdata.views.common import parse_query


def _as_query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def parse_arguments(serializer_class: type[serializers.Serializer], arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Tool arguments as the REST query string would carry them, parsed by `serializer_class`."""
    query = {name: _as_query_value(value) for name, value in arguments.items() if value is not None}
    # parse_query reads only `request.query_params`; a mapping of strings is exactly what it gets from HTTP.
    return parse_query(serializer_class, cast(Request, SimpleNamespace(query_params=query)))
