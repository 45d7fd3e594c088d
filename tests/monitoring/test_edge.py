"""The edge (monitoring/edge.py), through the real ASGI application: one client identity for the
fast path, Django and /mcp; a rotating X-Forwarded-For never resets a limit; /mcp is counted."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from monitoring.edge import client_address
from monitoring.services.metrics import metrics_snapshot
from tests.support.ticks import cache_quote

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 3
ROTATING = [f"203.0.113.{n}" for n in range(1, LIMIT + 3)]
FAST = ("/api/v1/market_data/latest", {"symbols": "000001.SZ"})  # cached: answered by the fast path
DJANGO = ("/api/v1/market_data/latest", {"symbols": "000001.SZ", "use_cache": "false"})  # Django's view


@pytest.fixture
def app(settings: Any, spec_limits: Any, clean_metrics: None) -> Any:
    settings.ROOT_URLCONF = "argus_site.urls"
    spec_limits["realtime"] = (LIMIT, 60.0)
    cache_quote("000001.SZ")
    from argus_site.asgi import application

    return application


async def _statuses(app: Any, peer: str, route: tuple[str, dict[str, str]], forwarded: list[str]) -> list[int]:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return [
            (await http.get(route[0], params=route[1], headers={"X-Forwarded-For": value})).status_code
            for value in forwarded
        ]


@pytest.mark.usefixtures("reference_data")
@pytest.mark.parametrize("route", [FAST, DJANGO], ids=["fast-path", "django"])
async def test_rotating_forwarded_for_does_not_reset_the_limit(app: Any, route: Any) -> None:
    assert await _statuses(app, "127.0.0.1", route, ROTATING) == [200] * LIMIT + [429] * 2


@pytest.mark.usefixtures("reference_data")
@pytest.mark.parametrize("route", [FAST, DJANGO], ids=["fast-path", "django"])
async def test_forwarded_for_from_a_trusted_proxy_names_the_client(app: Any, route: Any, settings: Any) -> None:
    settings.ARGUS_TRUST_X_FORWARDED_FOR, settings.ARGUS_TRUSTED_PROXIES = True, ["127.0.0.1"]
    assert await _statuses(app, "127.0.0.1", route, ROTATING) == [200] * len(ROTATING)
    # What the client wrote before the proxy's own entry is not believed: one client, one limit.
    spoofed = [f"198.51.100.{n}, 192.0.2.77" for n in range(1, LIMIT + 3)]
    assert await _statuses(app, "127.0.0.1", route, spoofed) == [200] * LIMIT + [429] * 2
    # A peer that is not a trusted proxy cannot choose its address at all.
    assert await _statuses(app, "192.0.2.200", route, ROTATING) == [200] * LIMIT + [429] * 2


@pytest.mark.usefixtures("reference_data")
async def test_fast_path_and_django_share_one_client_and_one_count(app: Any) -> None:
    statuses = await _statuses(app, "10.9.9.9", FAST, ["a", "b"]) + await _statuses(app, "10.9.9.9", DJANGO, ["c", "d"])
    assert statuses == [200, 200, 200, 429]
    assert metrics_snapshot().requests_total == 4


async def test_mcp_is_counted_and_logged_like_other_paths(app: Any, caplog: Any) -> None:
    transport = httpx.ASGITransport(app=app, client=("10.7.7.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        # Refused by the edge before MCP runs (no Accept header, so no session either way).
        answers = [
            await http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}) for _ in range(LIMIT + 1)
        ]
    assert answers[-1].status_code == 429
    assert answers[-1].json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert metrics_snapshot().requests_total == LIMIT + 1
    lines = [r.getMessage() for r in caplog.records if r.name == "argus.access" and "/mcp" in r.getMessage()]
    assert len(lines) == LIMIT + 1 and "client=10.7.7.7" in lines[-1] and " 429 " in lines[-1]


def test_client_address_is_the_peer_unless_a_trusted_proxy_says_otherwise(settings: Any) -> None:
    scope = {"client": ("127.0.0.1", 1), "headers": [(b"x-forwarded-for", b"198.51.100.1, 192.0.2.9")]}
    settings.ARGUS_TRUST_X_FORWARDED_FOR = False
    assert client_address(scope) == "127.0.0.1"
    settings.ARGUS_TRUST_X_FORWARDED_FOR, settings.ARGUS_TRUSTED_PROXIES = True, ["127.0.0.0/8"]
    assert client_address(scope) == "192.0.2.9"
    settings.ARGUS_TRUSTED_PROXIES = ["127.0.0.1", "192.0.2.0/24"]  # a chain of our own proxies
    assert client_address(scope) == "198.51.100.1"
    assert client_address({**scope, "client": ("10.0.0.5", 1)}) == "10.0.0.5"
