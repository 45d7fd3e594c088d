"""Request checks that come before everything else."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.errors import json_error


class RejectNulBytes:
    """A NUL byte in the path or query is a bad request (PostgreSQL refuses it in any string: a 500 later)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return json_error("INVALID_PARAMETER", "the request's path or query contains a NUL byte (%00); remove it")
        return self.get_response(request)
