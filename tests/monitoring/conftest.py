"""Fixtures of the monitoring tests: the spec's limits, stand-in routes, keys, real server processes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from monitoring.models import ApiKey
from monitoring.services.apikeys import api_key_create
from monitoring.services.metrics import metrics_reset
from monitoring.services.ratelimit import rate_limits_reset
from tests.support.databases import database_url
from tests.support.net import free_port, wait_until
from tests.support.paths import ROOT
from tests.support.redis_server import private_redis
from tests.support.servers import argus_server

__all__ = ["ROOT", "argus_server", "database_url", "free_port", "private_redis", "wait_until"]

SPEC_LIMITS = {"realtime": (100, 60.0), "history": (50, 60.0), "management": (20, 60.0), "websocket": (1000, 60.0)}


@pytest.fixture
def routes(settings: Any) -> None:
    """Stand-in routes, in the spec's development mode unless a test asks for `production`."""
    settings.ROOT_URLCONF = "tests.monitoring.stub_urls"
    settings.ARGUS_AUTH_MODE = "development"
    settings.ARGUS_REQUIRE_API_KEY = False


@pytest.fixture
def spec_limits(settings: Any, routes: None) -> Iterator[dict[str, tuple[int, float]]]:
    settings.ARGUS_RATE_LIMITS = dict(SPEC_LIMITS)
    rate_limits_reset()
    yield settings.ARGUS_RATE_LIMITS
    rate_limits_reset()


@pytest.fixture
def production(settings: Any, routes: None) -> None:
    settings.ARGUS_AUTH_MODE = "production"


@pytest.fixture
def clean_metrics() -> Iterator[None]:
    metrics_reset()
    yield
    metrics_reset()


@pytest.fixture
def make_key(db: None) -> Callable[..., tuple[ApiKey, str]]:
    def make(*scopes: str, name: str | None = None) -> tuple[ApiKey, str]:
        return api_key_create(name=name or f"key-{uuid.uuid4().hex[:6]}", scopes=scopes)

    return make
