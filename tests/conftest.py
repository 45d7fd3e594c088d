"""Shared fixtures.

Tests that need Redis or PostgreSQL talk to the real servers. With CI set they must run: an
unreachable server fails the test instead of skipping it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.conf import settings

from argus_site.bootstrap import bootstrap
from marketdata.calendar import db_calendar
from marketdata.models import TradingDay

bootstrap()  # var/ and the log directory, as manage.py makes them (the test database lives in var/)

REDIS_URL = os.environ.get("ARGUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
FAKES = Path(__file__).resolve().parent / "fakes"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this test must run)")
    pytest.skip(reason)


@pytest.fixture
def redis_url() -> str:
    """The real Redis's URL; fails under CI, skips elsewhere, when it does not answer."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis at {REDIS_URL} is not reachable: {exc}")
    return REDIS_URL


@pytest.fixture
def market_clock() -> Iterator[Any]:
    """Pins core.clock: `market_clock(instant)` sets it (aware datetime) and returns the FrozenClock."""
    from core import clock

    yield clock.set_now
    clock.reset()


@pytest.fixture
def services() -> None:
    """Marks a test that only means something on PostgreSQL + Redis (the ARGUS_TEST_SERVICES=1 pass)."""
    if not getattr(settings, "ARGUS_TEST_SERVICES", False):
        pytest.skip("runs in the PostgreSQL + Redis pass (ARGUS_TEST_SERVICES=1)")


@pytest.fixture
def reference_data(django_db_blocker: Any) -> Iterator[None]:
    """The synced trading calendar and the source's instruments (loaded once, reloaded if flushed)."""
    from marketdata.services.calendar import calendar_sync
    from marketdata.services.instruments import instruments_sync

    with django_db_blocker.unblock():
        if not TradingDay.objects.exists():
            calendar_sync()
            instruments_sync()
        db_calendar.invalidate()
    yield


def _purge_xtquant() -> None:
    for name in [name for name in sys.modules if name == "xtquant" or name.startswith("xtquant.")]:
        del sys.modules[name]


@pytest.fixture
def xtquant_fake() -> Iterator[ModuleType]:
    """The fake `xtquant.xtdata` (tests/fakes) importable, with fresh state; gone again afterwards."""
    _purge_xtquant()
    sys.path.insert(0, str(FAKES))
    try:
        yield importlib.import_module("xtquant.xtdata")
    finally:
        sys.path.remove(str(FAKES))
        _purge_xtquant()


@pytest.fixture(autouse=True)
def _fresh_singletons() -> Iterator[None]:
    """After every test, each process-wide singleton starts afresh, through its app's public reset.

    Set up before any other fixture, so torn down after them all (the settings fixture has
    restored the settings by then): L1 and the cache counters, the L2/L3 breakers, rate-limit
    windows, the stream store and hubs, the instrument-name directories, the calendar copy, pool
    connections, and the data source when a test built it from other settings (rebuilding the
    default simulated market for every test would only cost time).
    """
    yield
    from cachemgr.services import backends, state
    from core import clock
    from marketdata.selectors.common import directory as symbol_directory
    from marketdata.sources import reset_source, source_is_current
    from monitoring.services.ratelimit import rate_limits_reset
    from pools.registry import registry
    from streaming import reset_streaming
    from streaming.directory import directory_reset

    clock.reset()
    state.process_reset()
    backends.outages_reset()
    with contextlib.suppress(Exception):  # a test that stopped Redis must not fail the next one
        rate_limits_reset()
    reset_streaming()
    directory_reset()
    symbol_directory.invalidate()
    db_calendar.invalidate()
    registry.close()
    if not source_is_current():
        reset_source()


@pytest.fixture(autouse=True)
def _clear_caches() -> Iterator[None]:
    """Every test starts with empty caches; keys are namespaced per checkout."""
    from django.core.cache import caches

    # A test that stops Redis must not break the next test's start.
    with contextlib.suppress(Exception):
        backend = caches["default"]
        # django-redis's clear() is FLUSHDB, which would wipe other checkouts' keys in the shared
        # Redis; delete_pattern only touches this checkout's KEY_PREFIX.
        if hasattr(backend, "delete_pattern"):
            backend.delete_pattern("*")
        else:
            backend.clear()
    with contextlib.suppress(Exception):
        # What earlier tests' processes left in this checkout's stream namespace and /health reads:
        # the symbols the last feed found stale (a set with no TTL) and the symbols subscribers
        # followed (kept WANTED_SECONDS); either makes the next test's /health say degraded.
        from cachemgr.keys import stream_key
        from streaming import get_store
        from streaming.redis_store import RedisStore

        store = get_store()
        store.swap_stale(set())
        if isinstance(store, RedisStore):
            store._sync.delete(stream_key("wanted"))
    with contextlib.suppress(Exception):  # the feed's serialised quotes (a raw Redis hash, not a cache key)
        from cachemgr.services.quotebytes import quote_bytes_clear

        quote_bytes_clear(shared=True)
    yield
