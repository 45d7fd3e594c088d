"""Fixtures for the live-quote stream: instruments, ticks, a clean store, and a communicator."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings

from marketdata.sources import reset_source
from marketdata.sources.base import Tick
from streaming import reset_streaming
from streaming.directory import directory_reset
from tests.support.servers import uvicorn_thread
from tests.support.ticks import DAY, START
from tests.support.ticks import make_tick as make_tick_of

__all__ = ["DAY", "START"]

SYMBOLS = {"000001.SZ": "平安银行", "000002.SZ": "万科A", "600000.SH": "浦发银行", "300750.SZ": "宁德时代"}


def _clean_redis() -> None:
    if not settings.USE_REDIS:
        return
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    pattern = f"{settings.ARGUS_NAMESPACE}:*:stream:*"
    keys = list(client.scan_iter(match=pattern, count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def stream() -> Iterator[None]:
    """A fresh store and hub (and, with Redis, no stream keys left from an earlier test)."""
    _clean_redis()
    reset_streaming()
    directory_reset()
    yield
    reset_streaming()
    directory_reset()
    _clean_redis()


@pytest.fixture
def replay_source(settings: Any, reference_data: None) -> Iterator[None]:
    """A small simulated market replaying its latest session, so it trades at any hour."""
    options = {"seed": 7, "universe_size": 50, "clock": "replay"}
    settings.ARGUS_DATA_SOURCE = {"BACKEND": "simulated", "OPTIONS": options}
    reset_source()
    yield
    reset_source()


@pytest.fixture
def instruments(transactional_db: Any) -> dict[str, str]:
    from marketdata.models import Instrument
    from marketdata.symbols import parse_symbol

    for symbol, name in SYMBOLS.items():
        info = parse_symbol(symbol)
        Instrument.objects.update_or_create(
            symbol=symbol,
            defaults={"name": name, "market": info.market, "board": info.board, "kind": info.kind, "source": "test"},
        )
    directory_reset()
    return SYMBOLS


TickFactory = Callable[..., Tick]


@pytest.fixture
def make_tick() -> TickFactory:
    """A level-1 tick; `step` moves time and price so each step is a changed tick (tests/support/ticks.py)."""
    return make_tick_of


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., Any]]:
    """Open communicators on /ws/market_data through the real ASGI application; all closed at the end."""
    from argus_site.asgi import application

    opened: list[WebsocketCommunicator] = []

    async def open_one(origin: bytes = b"http://localhost") -> WebsocketCommunicator:
        communicator = WebsocketCommunicator(application, "/ws/market_data", headers=[(b"origin", origin)])
        connected, _ = await communicator.connect()
        assert connected
        opened.append(communicator)
        return communicator

    yield open_one
    for communicator in opened:
        with contextlib.suppress(Exception):
            await communicator.disconnect()
    from streaming import _hubs

    for hub in list(_hubs.values()):
        await hub.stop()


@pytest.fixture(autouse=True)
async def _close_thread_connections() -> AsyncIterator[None]:
    """sync_to_async runs DB work in a shared thread; close its connection so the test DB can be dropped."""
    yield
    from asgiref.sync import sync_to_async
    from django.db import connections

    await sync_to_async(connections.close_all)()


@pytest.fixture
def live_ws(stream: None, instruments: dict[str, str]) -> Iterator[str]:
    """The real ASGI app under a real uvicorn in a thread of this process; yields the ws:// URL.

    In the embedded pass the test's ticks_ingest reaches the server's hub in-process; with Redis
    it goes through Redis pub/sub as in production.
    """
    options = {"ws_per_message_deflate": False, "ws_max_size": 1024 * 1024}
    with uvicorn_thread(**options) as port:
        yield f"ws://127.0.0.1:{port}/ws/market_data"
