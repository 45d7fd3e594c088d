"""The spec's Python SDK (`argus_mcp.client.ArgusMCPClient`) against a running server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from argus_mcp import ArgusClient, MarketDataResult
from argus_mcp.client import ArgusMCPClient
from argus_mcp.data_service_client import DataServiceClient
from argus_mcp.exceptions import (
    ArgusError,
    AuthenticationError,
    CacheError,
    DataServiceError,
    InvalidParameterError,
    NotFoundError,
    ServiceUnavailableError,
)
from argus_mcp.stream import Backoff, Resume, websocket_url
from asgiref.sync import sync_to_async
from django.conf import settings
from mcp import Client

from streaming import reset_streaming
from streaming.services.ticks import ticks_ingest
from tests.mcp.conftest import structured
from tests.support.net import free_port
from tests.support.servers import uvicorn_thread
from tests.support.ticks import make_tick
from tests.ws.conftest import stream  # noqa: F401  (the fixture: a fresh stream store and hub)


def test_error_answers_raise_typed_exceptions_with_the_spec_fields(http_server: str) -> None:
    async def main() -> NotFoundError:
        async with ArgusMCPClient(http_server) as client:
            with pytest.raises(NotFoundError) as caught:
                await client._request("GET", "/api/v1/no_such_endpoint")
            return caught.value

    error = asyncio.run(main())
    assert error.code == "NOT_FOUND"
    assert error.message == "资源不存在"
    assert "/api/v1/no_such_endpoint" in error.details
    assert error.status == 404
    _check_health(http_server)


def test_an_unreachable_server_is_service_unavailable() -> None:
    async def main() -> None:
        async with ArgusMCPClient("http://127.0.0.1:1", timeout=2) as client:
            await client.get_latest_market_data(["000001.SZ"])

    with pytest.raises(ServiceUnavailableError) as caught:
        asyncio.run(main())
    assert caught.value.code == "SERVICE_UNAVAILABLE"
    assert "127.0.0.1:1" in caught.value.details


def test_user_guide_retry_recipe_can_tell_cache_errors_apart() -> None:
    # The guide catches DataServiceError before CacheError: CacheError must not be a DataServiceError.
    assert not issubclass(CacheError, DataServiceError)
    assert issubclass(CacheError, ArgusError)
    assert issubclass(InvalidParameterError, DataServiceError)
    assert DataServiceClient is ArgusMCPClient


def _health(url: str) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        async with ArgusMCPClient(url) as client:
            return await client.health()

    return asyncio.run(main())


def _check_health(http_server: str) -> None:
    body = _health(http_server)
    assert body["status"] in ("healthy", "degraded", "unhealthy")
    assert set(body["services"]) >= {"database", "cache"}


JANUARY = {"start_date": "2024-01-01", "end_date": "2024-01-31"}


def test_the_spec_sdk_example_and_the_mcp_tools_give_the_same_answers(http_server: str) -> None:
    async def main() -> tuple[dict[str, Any], ...]:
        async with ArgusMCPClient(http_server) as sdk:
            latest = await sdk.get_latest_market_data(["000001.SZ", "600000.SH"])
            history = await sdk.get_history_market_data(
                symbols=["000001.SZ"], start_date="2024-01-01", end_date="2024-01-31"
            )
            calendar = await sdk.get_trading_dates("2024-01-01", "2024-01-31", market="SH")
            detail = await sdk.get_instrument_detail(["000001.SZ"])
            full = await sdk.get_full_market_data(["000001.SZ"], depth=5)
            stats = await sdk.get_cache_stats()
            with pytest.raises(InvalidParameterError) as caught:
                await sdk.get_latest_market_data(["000001"])
        async with Client(f"{http_server}/mcp") as agent:
            tools = [
                structured(await agent.call_tool(name, arguments))
                for name, arguments in (
                    ("get_latest_quotes", {"symbols": ["000001.SZ", "600000.SH"]}),
                    (
                        "get_history_bars",
                        {"symbols": ["000001.SZ"], "start_date": "2024-01-01", "end_date": "2024-01-31"},
                    ),
                    ("get_trading_dates", {"start_date": "2024-01-01", "end_date": "2024-01-31", "market": "SH"}),
                    ("get_instrument_detail", {"symbols": ["000001.SZ"]}),
                    ("get_order_book", {"symbols": ["000001.SZ"], "depth": 5}),
                )
            ]
        return latest, history, calendar, detail, full, stats, {"error": caught.value}, *tools

    latest, history, calendar, detail, full, stats, error, *tools = asyncio.run(main())
    assert len(history["000001.SZ"]) == 22  # the spec example's `len(history['000001.SZ'])`: January 2024's sessions
    assert 0.0 <= stats["hit_rate"] <= 1.0
    assert error["error"].code == "INVALID_PARAMETER"
    assert "six digits" in error["error"].details
    assert [tool["data"] for tool in tools] == [latest, history, calendar, detail, full]


def test_market_data_results_are_the_data_dict_and_carry_the_envelopes_provenance(http_server: str) -> None:
    async def main() -> tuple[MarketDataResult, ...]:
        async with ArgusMCPClient(http_server) as sdk:
            return (
                await sdk.get_latest_market_data(["000001.SZ", "600000.SH"]),
                await sdk.get_history_market_data(["000001.SZ"], "2024-01-01", "2024-01-31"),
                await sdk.get_trading_dates("2024-01-01", "2024-01-31"),
                await sdk.get_latest_market_data_batch(["000001.SZ", "600000.SH", "000002.SZ"], batch_size=2),
            )

    latest, history, calendar, batch = asyncio.run(main())
    raw = httpx.get(f"{http_server}/api/v1/market_data/latest", params={"symbols": "000001.SZ,600000.SH"}).json()
    assert isinstance(latest, dict)
    assert latest == latest.data == raw["data"]  # the spec's dict, as before
    assert latest.provenance == {"source": "simulated", "simulated": True, "as_of": raw["source"]["as_of"]}
    assert (latest.source, latest.simulated) == (raw["source"]["source"], raw["source"]["simulated"])
    assert latest.as_of == min(quote["timestamp"] for quote in latest.values())
    assert isinstance(latest.cache_hit, bool) and isinstance(latest.response_time_ms, float)
    assert "data" not in latest.envelope and latest.envelope["source"] == latest.provenance
    assert len(history["000001.SZ"]) == 22
    assert (history.total_records, history.period, history.source) == (22, "1d", "simulated")
    assert history.as_of is not None and history.as_of.startswith("2024-01-31")  # the newest bar's end
    assert history.adjustment is not None and history.adjustment["type"] == "none"
    assert calendar["total_days"] == 22
    assert calendar.source is not None and calendar.source.startswith("calendar") and calendar.simulated is False
    # Batches: all the data, one provenance (the oldest as_of, simulated if any batch was).
    assert sorted(batch) == ["000001.SZ", "000002.SZ", "600000.SH"]
    assert batch.simulated is True and batch.source == "simulated"
    assert batch.as_of == min(quote["timestamp"] for quote in batch.values())


def test_the_blocking_client_has_the_same_calls_and_answers(http_server: str, monkeypatch: Any) -> None:
    with ArgusClient(http_server) as client:
        latest = client.get_latest_market_data(["000001.SZ"], fields=["price"])
        history = client.get_history_market_data("000001.SZ", "2024-01-01", "2024-01-31")
        detail = client.get_instrument_detail(["000001.SZ"])
        stats = client.get_cache_stats()
        with pytest.raises(InvalidParameterError) as caught:
            client.get_latest_market_data(["000001"])
        health = client.health()

    async def reference() -> MarketDataResult:
        async with ArgusMCPClient(http_server) as sdk:
            return await sdk.get_history_market_data("000001.SZ", "2024-01-01", "2024-01-31")

    assert set(latest["000001.SZ"]) == {"price"}
    assert latest.source == "simulated" and latest.simulated is True
    assert history == asyncio.run(reference()) and history.total_records == 22
    assert detail["000001.SZ"]["symbol"] == "000001.SZ" and detail.as_of is not None
    assert 0.0 <= stats["hit_rate"] <= 1.0
    assert caught.value.code == "INVALID_PARAMETER"
    assert set(health["services"]) >= {"database", "cache"}
    monkeypatch.setenv("ARGUS_URL", http_server + "/")
    assert ArgusClient().base_url == ArgusMCPClient().base_url == http_server
    monkeypatch.delenv("ARGUS_URL")
    assert ArgusClient().base_url == "http://localhost:8001"


def test_websocket_urls_follow_the_http_scheme() -> None:
    assert websocket_url("http://127.0.0.1:8001") == "ws://127.0.0.1:8001/ws/market_data"
    assert websocket_url("https://argus.example/prefix/") == "wss://argus.example/prefix/ws/market_data"
    with pytest.raises(ValueError, match="http"):
        websocket_url("ftp://argus.example")


def test_resume_drops_duplicates_and_resumes_each_epoch_after_what_it_yielded() -> None:
    resume = Resume(["000001.sz", "600000.SH", "000002.SZ"], ["price"])  # lower case: resumed as the server spells it
    assert resume.requests() == [
        {"action": "subscribe", "symbols": ["000001.SZ", "600000.SH", "000002.SZ"], "fields": ["price"]}
    ]
    snapshot = {"type": "snapshot", "epoch": "a", "data": [{"symbol": "000001.SZ", "seq": 3}]}
    assert resume.accept(snapshot) == snapshot
    assert resume.accept({"type": "market_data", "epoch": "a", "data": {"symbol": "000001.SZ", "seq": 3}}) is None
    assert resume.accept({"type": "market_data", "epoch": "a", "data": {"symbol": "000001.SZ", "seq": 4}})
    assert resume.accept({"type": "market_data", "epoch": "a", "data": {"symbol": "600000.SH", "seq": 9}})
    # A reset starts the symbol afresh in the new epoch; the same seq there is not a duplicate.
    assert resume.accept({"type": "reset", "epoch": "b", "data": {"symbol": "600000.SH", "reason": "new epoch"}})
    assert resume.accept({"type": "market_data", "epoch": "b", "data": {"symbol": "600000.SH", "seq": 4}})
    assert resume.requests() == [
        {
            "action": "subscribe",
            "symbols": ["000001.SZ", "000002.SZ"],
            "fields": ["price"],
            "resume_from": {"000001.SZ": 4},
            "epoch": "a",
        },
        {
            "action": "subscribe",
            "symbols": ["600000.SH"],
            "fields": ["price"],
            "resume_from": {"600000.SH": 4},
            "epoch": "b",
        },
    ]
    # A reconnection's own ack and an empty snapshot (everything was replayed) are not yielded.
    assert resume.accept({"type": "subscribed", "epoch": "a", "data": {}}) is None
    assert resume.accept({"type": "snapshot", "epoch": "a", "data": [{"symbol": "000001.SZ", "seq": 4}]}) is None
    assert resume.accept({"type": "status", "data": {"market_phase": "closed"}}) == {
        "type": "status",
        "data": {"market_phase": "closed"},
    }


def test_a_replay_reconnects_from_the_last_tick_time_and_ends_with_the_recording() -> None:
    replay = {"date": "2024-01-15", "speed": "max"}
    resume = Resume(["000001.SZ"], None, replay)
    assert resume.requests() == [{"action": "subscribe", "symbols": ["000001.SZ"], "replay": replay}]
    push = {"type": "market_data", "epoch": "a", "replay": True}
    assert resume.accept({**push, "data": {"symbol": "000001.SZ", "seq": 7, "timestamp": "2024-01-15T01:31:02.000Z"}})
    assert resume.requests() == [
        {"action": "subscribe", "symbols": ["000001.SZ"], "replay": {**replay, "from": "09:31:02"}}
    ]  # no resume_from: the server refuses it with replay; repeats of 09:31:02 are dropped by seq
    assert (
        resume.accept({**push, "data": {"symbol": "000001.SZ", "seq": 7, "timestamp": "2024-01-15T01:31:02.000Z"}})
        is None
    )
    assert not resume.ended
    assert resume.accept({"type": "status", "replay": True, "data": {"replay": "ended", "ticks_sent": 1}})
    assert resume.ended


def test_backoff_is_capped_jittered_and_bounded() -> None:
    policy = Backoff(initial=1.0, maximum=8.0, max_attempts=3)
    delays = [policy.delay(n) for n in range(1, 8) for _ in range(20)]
    assert all(0.5 <= d <= 8.0 for d in delays)
    assert all(2.0 <= policy.delay(3) <= 4.0 for _ in range(20))
    assert len({round(policy.delay(6), 6) for _ in range(20)}) > 1  # jittered
    assert not policy.exhausted(2) and policy.exhausted(3)
    assert not Backoff().exhausted(10**6)


def test_subscribe_gives_up_after_its_attempts_when_nothing_listens() -> None:
    async def main() -> None:
        async with ArgusMCPClient(f"http://127.0.0.1:{free_port()}", timeout=2) as client:
            async for _ in client.subscribe(["000001.SZ"], reconnect=Backoff(initial=0.01, max_attempts=3)):
                pass

    with pytest.raises(ServiceUnavailableError) as caught:
        asyncio.run(main())
    assert caught.value.code == "SERVICE_UNAVAILABLE"
    assert "after 3 attempt(s)" in caught.value.details


class RestartableServer:
    """The ASGI app under uvicorn in a thread of this process, stopped and started again on one port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._running: contextlib.ExitStack | None = None

    def start(self) -> None:
        self._running = contextlib.ExitStack()
        options = {"ws_per_message_deflate": False, "ws_max_size": 1024 * 1024}
        self._running.enter_context(uvicorn_thread(port=self.port, **options))

    def stop(self) -> None:
        if self._running is not None:
            self._running.close()
            self._running = None


@pytest.fixture
def restartable(
    request: pytest.FixtureRequest, transactional_db: None, reference_data: None
) -> Iterator[RestartableServer]:
    """As tests/ws's live_ws: ticks ingested here reach the server in-process (embedded) or through Redis."""
    request.getfixturevalue("stream")
    server = RestartableServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


SYMBOL = "000001.SZ"


async def ingest(*steps: int) -> Any:
    return await sync_to_async(ticks_ingest)([make_tick(SYMBOL, step) for step in steps])


async def next_of(messages: AsyncIterator[dict[str, Any]]) -> dict[str, Any]:
    return await asyncio.wait_for(anext(messages), 15)


def test_subscribe_yields_the_snapshot_then_pushes_and_the_blocking_one_too(restartable: RestartableServer) -> None:
    async def main() -> list[dict[str, Any]]:
        first = await ingest(0)
        async with ArgusMCPClient(restartable.url) as client:
            messages = client.subscribe([SYMBOL], ["price"])
            received = [await next_of(messages), await next_of(messages)]
            await ingest(1, 2)
            received += [await next_of(messages), await next_of(messages)]
            await messages.aclose()
        assert {m["epoch"] for m in received} == {first.epoch}
        return received

    ack, snapshot, *pushes = asyncio.run(main())
    assert (ack["type"], ack["data"]["symbols"], ack["data"]["pending"]) == ("subscribed", [SYMBOL], [])
    assert snapshot["type"] == "snapshot"
    assert [(d["symbol"], d["seq"], d["price"]) for d in snapshot["data"]] == [(SYMBOL, 1, 10.0)]
    assert [(m["type"], m["data"]["seq"], m["data"]["price"]) for m in pushes] == [
        ("market_data", 2, 10.01),
        ("market_data", 3, 10.02),
    ]
    with ArgusClient(restartable.url) as blocking:
        messages = blocking.subscribe([SYMBOL], ["price"])
        assert next(messages)["type"] == "subscribed"
        assert [d["seq"] for d in next(messages)["data"]] == [3]
        ticks_ingest([make_tick(SYMBOL, 3)])
        assert next(messages)["data"]["seq"] == 4
        messages.close()


def test_subscribe_survives_a_server_restart_without_a_gap_or_with_an_explicit_reset(
    restartable: RestartableServer,
) -> None:
    """Redis keeps the epoch and buffers: replayed in order. Embedded, a new process-local store: reset + snapshot."""
    keeps_epoch = settings.USE_REDIS

    async def main() -> tuple[str, list[dict[str, Any]]]:
        first = await ingest(0)
        async with ArgusMCPClient(restartable.url) as client:
            messages = client.subscribe([SYMBOL], ["price"], reconnect=Backoff(initial=0.05, maximum=0.5))
            received = [await next_of(messages), await next_of(messages)]
            await ingest(1, 2)
            received += [await next_of(messages), await next_of(messages)]
            await asyncio.to_thread(restartable.stop)
            if not keeps_epoch:
                reset_streaming()  # what a restarted embedded server has: a store of its own
            await ingest(3, 4)  # published while the server is down
            waiting = asyncio.ensure_future(next_of(messages))  # it reconnects, and fails, meanwhile
            await asyncio.sleep(0.5)
            assert not waiting.done()
            await asyncio.to_thread(restartable.start)
            received += [await waiting, await next_of(messages)]
            await ingest(5)
            received.append(await next_of(messages))
            await messages.aclose()
        return first.epoch, received

    epoch, received = asyncio.run(main())
    seen = [
        (m["type"], m["epoch"], [d["seq"] for d in m["data"]] if m["type"] == "snapshot" else m["data"].get("seq"))
        for m in received
    ]
    assert seen[:4] == [
        ("subscribed", epoch, None),
        ("snapshot", epoch, [1]),
        ("market_data", epoch, 2),
        ("market_data", epoch, 3),
    ]
    if keeps_epoch:  # the pushes missed while down, then the next one: seqs 1..6 in one epoch, no gap
        assert seen[4:] == [("market_data", epoch, 4), ("market_data", epoch, 5), ("market_data", epoch, 6)]
    else:  # a new epoch: the reset, a fresh snapshot in it, and its pushes
        reset, fresh, push = received[4:]
        assert (reset["type"], reset["data"]["symbol"]) == ("reset", SYMBOL)
        assert reset["epoch"] != epoch and "is over" in reset["data"]["reason"]
        assert seen[5:] == [("snapshot", reset["epoch"], [2]), ("market_data", reset["epoch"], 3)]
        assert fresh["data"][0]["price"] == 10.04 and push["data"]["price"] == 10.05


def test_subscribe_sends_the_api_key_and_a_refused_key_raises_instead_of_retrying(
    restartable: RestartableServer, settings: Any
) -> None:
    from monitoring.services.apikeys import api_key_create

    settings.ARGUS_AUTH_MODE = "production"
    settings.ARGUS_REQUIRE_API_KEY = True
    _, raw = api_key_create(name="reader", scopes=["market_data:read"])

    async def main(api_key: str | None) -> tuple[list[dict[str, Any]], ArgusError | None]:
        received: list[dict[str, Any]] = []
        async with ArgusMCPClient(restartable.url, api_key=api_key) as client:
            messages = client.subscribe([SYMBOL])  # the default policy retries forever, but not a refused key
            try:
                received.append(await next_of(messages))
                received.append(await next_of(messages))
            except AuthenticationError as refused:
                return received, refused
            await messages.aclose()
        return received, None

    frames, error = asyncio.run(main(None))
    assert [(m["type"], m["error"]["code"]) for m in frames] == [("error", "UNAUTHORIZED")]
    assert error is not None and error.code == "UNAUTHORIZED" and error.details == frames[0]["error"]["details"]
    frames, error = asyncio.run(main(raw))
    assert ([m["type"] for m in frames], error) == (["subscribed", "snapshot"], None)
