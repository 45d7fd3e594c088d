"""Request checks that come before everything else."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

from core.errors import json_error


class RejectNulBytes:
    """A NUL byte in the path or query is a bad request (PostgreSQL refuses it in any string: a 500 later)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return json_error("INVALID_PARAMETER", "the request's path or query contains a NUL byte (%00); remove it")
        return self.get_response(request)


class ApiLanguage:
    """API answers speak one language per message: the spec's Chinese `message`, English `details`.

    Django runs in zh-hans for the admin (LANGUAGE_CODE), which would make DRF's own validation
    texts ("该字段是必填项。") Chinese inside our English details. Outside /admin/ the request runs
    with English active, so every detail text is English.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/"):
            return self.get_response(request)
        with translation.override("en"):
            return self.get_response(request)


class ApiGZip(GZipMiddleware):
    """Django's gzip for API answers only (never the admin's or console's HTML, whose CSRF tokens
    BREACH could read), and only past ARGUS_HTTP_GZIP_MIN_BYTES. What the ASGI fast path answers
    never reaches Django; it compresses its own (core/compress.py)."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        from django.conf import settings

        minimum = settings.ARGUS_HTTP_GZIP_MIN_BYTES
        if not minimum or not request.path.startswith("/api/"):
            return response
        if isinstance(response, HttpResponse) and len(response.content) < minimum:
            patch_vary_headers(response, ("Accept-Encoding",))
            return response
        return super().process_response(request, response)
