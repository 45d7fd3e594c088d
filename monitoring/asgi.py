"""The same guard, metrics and access log for requests answered outside Django (the /latest fast path).

`MonitoredFastPath(fast, django)` sits in front of an ASGI app that answers some requests itself
and hands the rest to Django. Anonymous requests are rate limited here, in the event loop (one
asyncio Redis EVALSHA, bounded by a short timeout and skipped while Redis is failing, so a hung
Redis never blocks the loop), then passed on with the decision in the scope, so Django's
middleware, if the fast app falls back to it, neither counts nor charges them twice. Requests that
carry a key, or that need one, go straight to Django: key lookups are database reads, which belong
in Django's threads.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings

from core.errors import ApiError, error_body
from core.renderers import dumps
from monitoring.policy import policy_for
from monitoring.services.apikeys import raw_key_from_headers
from monitoring.services.guard import GuardResult, anonymous_request_guard, key_required
from monitoring.services.metrics import request_record

access_log = logging.getLogger("argus.access")
GUARD = "argus.guard"  # scope key: the decision already taken for this request
OBSERVED = "argus.observed"  # scope key: Django's middleware counted and logged it


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}


class MonitoredFastPath:
    def __init__(self, fast: Any, django: Any) -> None:
        self.fast = fast
        self.django = django

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.django(scope, receive, send)
            return
        headers = _headers(scope)
        query = scope.get("query_string", b"").decode("latin-1")
        raw_key = raw_key_from_headers(headers.get("authorization"), headers.get("x-api-key"), query)
        if raw_key is not None or key_required(policy_for(scope["path"], scope["method"])):
            await self.django(scope, receive, send)
            return
        started = time.perf_counter()
        ip = (scope.get("client") or ("", 0))[0]
        try:
            result = await anonymous_request_guard(path=scope["path"], method=scope["method"], ip=ip)
        except ApiError as exc:
            await self._refuse(send, exc)
            self._observe(scope, exc.http_status, started, ip)
            return
        scope = {**scope, GUARD: result, OBSERVED: False}
        status = await self._forward(scope, receive, send, result)
        if not scope[OBSERVED]:
            self._observe(scope, status, started, ip)

    async def _forward(self, scope: dict[str, Any], receive: Any, send: Any, result: GuardResult) -> int:
        seen = {"status": 0}
        extra = [(k.lower().encode(), v.encode()) for k, v in (result.rate.headers() if result.rate else {}).items()]

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                present = {name.lower() for name, _ in message.get("headers", [])}
                message = {
                    **message,
                    "headers": [*message.get("headers", []), *(h for h in extra if h[0] not in present)],
                }
            await send(message)

        await self.fast(scope, receive, send_with_headers)
        return seen["status"]

    async def _refuse(self, send: Any, exc: ApiError) -> None:
        body = dumps(error_body(exc.code, exc.details))
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
        await send({"type": "http.response.start", "status": exc.http_status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _observe(self, scope: dict[str, Any], status: int, started: float, ip: str) -> None:
        ms = (time.perf_counter() - started) * 1000
        if not scope["path"].startswith(settings.ARGUS_METRICS_EXCLUDE):
            request_record(endpoint=scope["path"], status=status, duration_ms=ms)
        access_log.info("%s %s %s %.1fms client=%s key=- (fast path)", scope["method"], scope["path"], status, ms, ip)
