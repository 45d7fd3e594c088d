"""X-Forwarded-For decides the rate-limited client only when it comes from a trusted proxy.

Real `manage.py serve` processes with a real-time limit of 3, on the fast path (cached /latest
answered in the event loop) and on Django's path (fast path off).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.monitoring.conftest import argus_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

LIMIT = 3
LATEST = "/api/v1/market_data/latest?symbols=000001.SZ"


def _statuses(base: str, forwarded: list[str]) -> list[int]:
    with httpx.Client(base_url=base, timeout=10) as http:
        return [http.get(LATEST, headers={"X-Forwarded-For": value}).status_code for value in forwarded]


def _env(fast_path: bool, **extra: str) -> dict[str, str]:
    return {"ARGUS_RATE_LIMIT_REALTIME": str(LIMIT), "ARGUS_HTTP_FAST_PATH": str(fast_path).lower(), **extra}


ROTATING = [f"203.0.113.{n}" for n in range(1, LIMIT + 3)]


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "django"])
def test_untrusted_forwarded_for_does_not_reset_the_limit(tmp_path: Path, fast_path: bool) -> None:
    with argus_server(tmp_path, _env(fast_path)) as base:
        assert _statuses(base, ROTATING) == [200] * LIMIT + [429] * 2


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast-path", "django"])
def test_forwarded_for_from_a_trusted_proxy_is_the_client(tmp_path: Path, fast_path: bool) -> None:
    env = _env(fast_path, ARGUS_TRUST_X_FORWARDED_FOR="true", ARGUS_TRUSTED_PROXIES="127.0.0.1")
    with argus_server(tmp_path, env) as base:
        assert _statuses(base, ROTATING) == [200] * len(ROTATING)
        # The proxy appends the address it saw; what the client wrote before it is not trusted.
        spoofed = [f"198.51.100.{n}, 192.0.2.77" for n in range(1, LIMIT + 3)]
        assert _statuses(base, spoofed) == [200] * LIMIT + [429] * 2


def test_forwarded_for_from_a_peer_not_in_the_trusted_proxies_is_ignored(tmp_path: Path) -> None:
    env = _env(True, ARGUS_TRUST_X_FORWARDED_FOR="true", ARGUS_TRUSTED_PROXIES="192.0.2.1")
    with argus_server(tmp_path, env) as base:
        assert _statuses(base, ROTATING) == [200] * LIMIT + [429] * 2
