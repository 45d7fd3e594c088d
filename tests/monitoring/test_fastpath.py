"""The /latest fast path (answered outside Django) is limited, counted and logged like everything else."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from monitoring.services.metrics import metrics_snapshot
from tests.support.ticks import cache_quote

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/market_data/latest"


@pytest.fixture
def asgi_client(settings: Any, spec_limits: Any, clean_metrics: None) -> httpx.AsyncClient:
    settings.ROOT_URLCONF = "argus_site.urls"
    from argus_site.asgi import application

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://testserver")


async def test_fast_path_is_limited_and_counted(asgi_client: httpx.AsyncClient, spec_limits: Any) -> None:
    cache_quote("000001.SZ")
    spec_limits["realtime"] = (3, 60.0)
    async with asgi_client as client:
        answers = [await client.get(URL, params={"symbols": "000001.SZ"}) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert answers[0].json()["cache_hit"] is True  # answered by the fast path
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED" and "Retry-After" in refused.headers
    assert metrics_snapshot().requests_total == 4


async def test_fallback_to_django_is_charged_and_counted_once(asgi_client: httpx.AsyncClient, spec_limits: Any) -> None:
    spec_limits["realtime"] = (5, 60.0)
    async with asgi_client as client:
        bad = await client.get(URL, params={"symbols": "not-a-symbol"})  # the fast path hands it to Django
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_PARAMETER"
    assert bad.headers["X-RateLimit-Remaining"] == "4"
    assert metrics_snapshot().requests_total == 1
