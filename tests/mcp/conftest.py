"""MCP fixtures: the stdio command's parameters, and a real HTTP server on a free port."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Model
from mcp import StdioServerParameters

from tests.support.databases import database_url
from tests.support.servers import uvicorn_thread

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture
def stdio_params(transactional_db: None, reference_data: None) -> StdioServerParameters:
    """`manage.py mcp_server` on this test run's database (the subprocess sees committed rows)."""
    env = {
        "DJANGO_SETTINGS_MODULE": "argus_site.settings.test",
        "DATABASE_URL": database_url(),
        "ARGUS_TEST_SERVICES": os.environ.get("ARGUS_TEST_SERVICES", "0"),
        "ARGUS_LOG_LEVEL": "WARNING",
    }
    return StdioServerParameters(command=sys.executable, args=["manage.py", "mcp_server"], cwd=BASE_DIR, env=env)


@pytest.fixture
def http_server(transactional_db: None, reference_data: None) -> Iterator[str]:
    """The whole ASGI application under uvicorn in a thread; yields its base URL."""
    from argus_site.asgi import application

    with uvicorn_thread(application, lifespan="on") as port:
        yield f"http://127.0.0.1:{port}"


def structured(result: Any) -> dict[str, Any]:
    """A tool result's structured content, asserting it is a dict."""
    assert isinstance(result.structured_content, dict), result
    return result.structured_content


_REFERENCE_ROWS: dict[type[Model], list[Model]] = {}


@pytest.fixture
def reference_data(django_db_blocker: Any) -> Iterator[None]:
    """As tests/conftest.py's, but after the first sync a flushed database is refilled from a copy.

    MCP tests need committed rows (servers run in other threads and processes), so each test's
    database is flushed; re-running the exchange-calendars sync every time would cost seconds.
    """
    from marketdata.calendar import db_calendar
    from marketdata.models import CalendarCoverage, Instrument, TradingDay
    from marketdata.services.calendar import calendar_changed, calendar_sync
    from marketdata.services.instruments import instruments_sync

    with django_db_blocker.unblock():
        if not TradingDay.objects.exists():
            if _REFERENCE_ROWS:
                for model, rows in _REFERENCE_ROWS.items():
                    model.objects.bulk_create(rows, batch_size=2000)
                calendar_changed()
            else:
                calendar_sync()
                instruments_sync()
                for model in (TradingDay, CalendarCoverage, Instrument):
                    _REFERENCE_ROWS[model] = list(model.objects.all())
        db_calendar.invalidate()
    yield


def close_worker_connections() -> None:
    """Close the database connection of asgiref's shared worker thread (where tool bodies run)."""
    import asyncio

    from asgiref.sync import sync_to_async
    from django.db import connections

    asyncio.run(sync_to_async(connections.close_all, thread_sensitive=True)())


@pytest.fixture(autouse=True)
def _close_worker_connections() -> Iterator[None]:
    # PostgreSQL cannot flush or drop a test database that another connection still holds.
    yield
    close_worker_connections()
