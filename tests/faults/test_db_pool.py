"""PostgreSQL connections under ASGI bursts, on the production settings: bounded, and never a 500.

A regression here left 97 of PostgreSQL's 100 connections idle and never released after bursts of
20 concurrent /health requests (persistent connections, one per request context under uvicorn):
/health then answered 503 "too many clients", trading_dates 500, and every other user of the
database starved. Each server process now draws from a pool of ARGUS_DB_POOL_MAX_SIZE connections.
Each test also checks that the server's memory stays flat from its first answers to its last
(tests/support/memory.py).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
import pytest
from django.conf import settings

from tests.support.memory import Memory
from tests.support.processes import Processes, database_url, free_port, production_env, running

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("services")]

WORKERS = 2
POOL_MAX = 10  # ARGUS_DB_POOL_MAX_SIZE's default, which the first test runs with
# Besides its pool, a worker holds no connection; 2 more allow for one being replaced meanwhile.
ALLOWANCE = 2
TRADING_DATES = "/api/v1/market_data/trading_dates?market=SH&start_date=2024-01-01&end_date=2024-03-31"
BURSTS = (20, 50, 35, 50, 20)


class Answer:
    def __init__(self, path: str, response: httpx.Response) -> None:
        self.path = path
        self.status = response.status_code
        self.type = response.headers.get("content-type", "")
        self.retry_after = response.headers.get("retry-after")
        self.body: Any = response.json() if self.type.startswith("application/json") else response.text


async def _burst(base: str, size: int) -> list[Answer]:
    """`size` requests at once, half /health and half trading_dates, each on its own connection."""
    paths = ["/health" if i % 2 else TRADING_DATES for i in range(size)]
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def one(path: str) -> Answer:
            return Answer(path, await client.get(path))

        return list(await asyncio.wait_for(asyncio.gather(*(one(p) for p in paths)), 60))


def _server_connections(processes: Processes, name: str) -> tuple[int, Counter[str]]:
    """The server's sessions on the test database in pg_stat_activity (read from a connection of our own).

    A session is the server's when its client port is one of the server processes' sockets to PostgreSQL.
    """
    db = settings.DATABASES["default"]
    pg_port = int(db["PORT"] or 5432)
    master = psutil.Process(processes.started[name].pid)
    ports = {
        conn.laddr.port
        for proc in [master, *master.children(recursive=True)]
        for conn in proc.net_connections(kind="tcp")
        if conn.raddr and conn.raddr.port == pg_port
    }
    with psycopg.connect(database_url().replace(f"/{db['NAME']}", "/postgres"), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT client_port, state FROM pg_stat_activity WHERE datname = %s", [db["NAME"]]
        ).fetchall()
    states = Counter(state or "?" for port, state in rows if port in ports)
    return sum(states.values()), states


@pytest.fixture
def processes(transactional_db: None, reference_data: None, tmp_path: Path) -> Iterator[Processes]:
    with running(tmp_path) as started:
        yield started


def _start(processes: Processes, **env: str) -> str:
    port = free_port()
    # The defaults under test: nothing about the database's connections is set here.
    environment = production_env(
        ARGUS_PORT=str(port),
        ARGUS_LOG_LEVEL="WARNING",
        # One load generator is one client: the spec's limits would refuse most of the bursts.
        ARGUS_RATE_LIMIT_REALTIME="1000000000",
        **env,
    )
    processes.start("web", "manage.py", "serve", "--workers", str(WORKERS), env=environment)
    processes.wait_for_port("web", port)
    return f"http://127.0.0.1:{port}"


def test_bursts_keep_the_servers_connections_within_its_pools(processes: Processes) -> None:
    base = _start(processes)
    bound = WORKERS * POOL_MAX + ALLOWANCE
    figures = []
    memory = Memory(processes)
    for size in BURSTS:
        answers = asyncio.run(_burst(base, size))
        if size == max(BURSTS) and not memory.start:
            memory.before()  # warm: each worker has served the largest burst (its threads and pool grown)
        time.sleep(0.5)  # the requests' connections are back in the pools (or, before, left behind)
        count, states = _server_connections(processes, "web")
        statuses = Counter(a.status for a in answers)
        figures.append(f"burst {size}: statuses {dict(statuses)}, server sessions {count} {dict(states)}")
        print(figures[-1])
        assert count <= bound, "\n".join(figures)
        assert statuses == {200: size}, [(a.path, a.status, a.body) for a in answers if a.status != 200][:5]
    memory.check()
    health = next(a for a in answers if a.path == "/health")
    assert health.body["services"]["database"] == "healthy"
    dates = next(a for a in answers if a.path == TRADING_DATES)
    assert dates.body["success"] is True and "2024-01-02" in dates.body["data"]["trading_dates"]


def test_an_exhausted_pool_answers_503_with_retry_after_never_500(processes: Processes) -> None:
    base = _start(processes, ARGUS_DB_POOL_MIN_SIZE="1", ARGUS_DB_POOL_MAX_SIZE="1", ARGUS_DB_POOL_TIMEOUT="0.1")
    memory = Memory(processes)
    answers = [answer for size in (50, 50) for answer in asyncio.run(_burst(base, size))]
    memory.before()  # warm: each worker has answered 503 from its pool's timeout, and grown its threads
    answers += [answer for size in (50, 50) for answer in asyncio.run(_burst(base, size))]
    statuses = Counter((a.path.split("?")[0], a.status) for a in answers)
    print(f"pool of 1 per worker, 4 bursts of 50: {dict(statuses)}")
    memory.check()
    assert {a.status for a in answers} <= {200, 503}, statuses
    for answer in answers:
        assert answer.type.startswith("application/json"), (answer.path, answer.status, answer.body)
        if answer.status != 503:
            continue
        assert answer.retry_after is not None and int(answer.retry_after) >= 1
        if answer.path == "/health":
            assert answer.body["status"] == "unhealthy" and answer.body["services"]["database"] == "unhealthy"
        else:
            assert answer.body["success"] is False
            assert answer.body["error"]["code"] == "DATABASE_ERROR"
            assert "retry" in answer.body["error"]["details"]
    count, _ = _server_connections(processes, "web")
    assert count <= WORKERS * 1 + ALLOWANCE
    # Once the burst is over, the one connection serves again.
    assert httpx.get(f"{base}{TRADING_DATES}", timeout=10).status_code == 200


def test_a_database_that_refuses_connections_answers_json_503_with_retry_after(processes: Processes) -> None:
    refused = f"postgres://postgres@127.0.0.1:{free_port()}/argus"  # nothing listens there
    base = _start(processes, DATABASE_URL=refused, ARGUS_DB_POOL_TIMEOUT="0.5")
    memory = Memory(processes)
    answers = asyncio.run(_burst(base, 10))
    memory.before()
    answers += asyncio.run(_burst(base, 10))
    print(f"database refusing connections: {dict(Counter((a.path.split('?')[0], a.status) for a in answers))}")
    memory.check()
    for answer in answers:
        assert (answer.status, answer.retry_after) == (503, "2"), (answer.path, answer.status, answer.body)
        assert answer.type.startswith("application/json")
        if answer.path == "/health":
            assert answer.body["status"] == "unhealthy" and answer.body["services"]["database"] == "unhealthy"
        else:
            assert answer.body["error"]["code"] == "DATABASE_ERROR"


KEY = "ak_0123abcd_" + "x" * 43  # well-formed, so it is looked up in the database


def test_a_key_that_cannot_be_checked_is_a_503_and_a_keyed_websocket_closes_1013(processes: Processes) -> None:
    """Requests carrying an API key (once a 500) and a keyed WebSocket (once dropped with 1006) while the
    database refuses connections: DATABASE_ERROR with Retry-After, and a close that says try again later."""
    import json

    import websockets

    refused = f"postgres://postgres@127.0.0.1:{free_port()}/argus"
    base = _start(processes, DATABASE_URL=refused, ARGUS_DB_POOL_TIMEOUT="0.5")
    memory = Memory(processes)
    asyncio.run(_burst(base, 4))  # warm-up: both workers have answered without their database
    memory.before()
    response = httpx.get(f"{base}{TRADING_DATES}", headers={"X-API-Key": KEY}, timeout=10)
    assert (response.status_code, response.headers.get("retry-after")) == (503, "2"), response.text
    assert response.json()["error"]["code"] == "DATABASE_ERROR"
    assert "API key could not be checked" in response.json()["error"]["details"]

    async def handshake() -> tuple[dict[str, Any], int | None]:
        url = base.replace("http", "ws") + "/ws/market_data"
        async with websockets.connect(url, additional_headers={"X-API-Key": KEY}, open_timeout=10) as ws:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            await asyncio.wait_for(ws.wait_closed(), 10)
            return frame, ws.close_code

    frame, code = asyncio.run(handshake())
    assert frame["type"] == "error" and frame["error"]["code"] == "DATABASE_ERROR", frame
    assert code == 1013
    memory.check()
