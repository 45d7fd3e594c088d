"""Exchange time on the pages people read: the admin and the console show Asia/Shanghai times."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

PAGES = ("/admin/", "/console/")


class ExchangeTimeZoneMiddleware:
    """Activate ARGUS_EXCHANGE_TZ for the admin and the console (stored times stay UTC; the API is unchanged).

    The date formats (argus_site/formats) print the UTC offset after every time, so a reader sees
    which zone a time is in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.zone = zoneinfo.ZoneInfo(settings.ARGUS_EXCHANGE_TZ)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(PAGES):
            return self.get_response(request)
        timezone.activate(self.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
