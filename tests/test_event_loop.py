"""No blocking call in the event loop on the edge and the fast path, end to end through the real
ASGI application under asyncio's debug mode (tests/support/blocking.py); and the check itself
catches a deliberately blocking call.

In the PostgreSQL + Redis pass the fast path reads L2 from the real Redis (its L1 emptied first)
and the edge counts rate limits there; a key is checked in a worker thread, never in the loop.
"""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cachemgr.services.state import local_clear
from monitoring.services.apikeys import api_key_create
from monitoring.services.ratelimit import rate_limits_reset
from tests.support.blocking import blocking_calls, run_in_debug_loop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

LATEST = "/api/v1/market_data/latest"
HISTORY = "/api/v1/market_data/history"
READS: list[tuple[str, dict[str, str]]] = [
    (LATEST, {"symbols": "000001.SZ"}),
    (LATEST, {"symbols": "000001.SZ,600000.SH,000002.SZ", "fields": "price,volume"}),
    (HISTORY, {"symbols": "000001.SZ", "start_date": "2024-01-02", "end_date": "2024-06-28", "period": "1d"}),
]


@pytest.fixture
def app(settings: Any, market_clock: Any) -> Any:
    market_clock(datetime(2024, 7, 1, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai, a trading day
    settings.ROOT_URLCONF = "argus_site.urls"
    settings.ARGUS_AUTH_MODE = "production"  # keys are checked when sent
    settings.ARGUS_RATE_LIMITS = {**settings.ARGUS_RATE_LIMITS, "realtime": (10_000, 60.0), "history": (10_000, 60.0)}
    rate_limits_reset()
    from argus_site.asgi import application

    return application


async def _get_all(app: Any, headers: dict[str, str] | None = None) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app, client=("10.4.4.4", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers) as http:
        return [await http.get(path, params=params) for path, params in READS]


def _in_loop(response: httpx.Response) -> bool:
    """Answered by the fast path: Django's middleware (X-Frame-Options) never saw it."""
    return response.status_code == 200 and "x-frame-options" not in response.headers


def test_cached_reads_through_the_edge_make_no_blocking_call(app: Any) -> None:
    _, raw = api_key_create(name="loop-check", scopes=["market_data:read"])
    warm = asyncio.run(_get_all(app))  # misses: Django loads and fills the cache (in its threads)
    assert [r.status_code for r in warm] == [200] * len(READS)
    local_clear(None)  # the fast path must read L2 itself (Redis in the services pass)
    with blocking_calls(slow_callback_seconds=0.25) as recorder:

        async def main() -> list[httpx.Response]:
            return [*await _get_all(app), *await _get_all(app, {"X-API-Key": raw})]

        answers = run_in_debug_loop(recorder, main)
    assert [_in_loop(r) for r in answers] == [True] * len(answers), [r.headers for r in answers]
    assert all(r.json()["cache_hit"] for r in answers)
    assert all("X-RateLimit-Remaining" in r.headers for r in answers)
    assert recorder.calls == []


def test_the_check_catches_a_blocking_call(app: Any) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    async def blocking_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            with socket.create_connection(("127.0.0.1", port), timeout=1):  # a synchronous connect
                pass
            time.sleep(0.3)  # noqa: ASYNC251  # deliberately: a callback that holds the loop
        await app(scope, receive, send)

    try:
        with blocking_calls(slow_callback_seconds=0.25) as recorder:

            async def main() -> int:
                transport = httpx.ASGITransport(app=blocking_app)
                async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                    return (await http.get("/health")).status_code

            run_in_debug_loop(recorder, main)
    finally:
        listener.close()
    assert any(call.startswith("blocking socket.connect") for call in recorder.calls), recorder.calls
    assert any(call.startswith("slow callback") for call in recorder.calls), recorder.calls
