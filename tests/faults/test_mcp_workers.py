"""MCP over HTTP with several web workers: every call answers, whichever worker it lands on.

Regression: with `serve --workers 2`, calls carrying a session id that reached the other worker got
404 "Session not found" (that worker never saw the session: 8 of 20 here, each call on a new
connection). `serve` now runs /mcp stateless whenever it starts more than one worker
(ARGUS_MCP_HTTP_STATELESS): no session id is issued, and every request stands alone. The
workers' memory stays flat over the calls (tests/support/memory.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.memory import Memory
from tests.support.processes import Processes, free_port, production_env, running

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("services")]

CALLS = 20
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def processes(transactional_db: None, reference_data: None, tmp_path: Path) -> Iterator[Processes]:
    with running(tmp_path) as started:
        yield started


def _rpc(base: str, headers: dict[str, str], body: dict[str, object]) -> httpx.Response:
    with httpx.Client(timeout=30) as fresh:  # a new connection each time: either worker may accept it
        return fresh.post(f"{base}/mcp", headers=headers, json=body)


def test_mcp_calls_answer_on_any_of_two_workers(processes: Processes) -> None:
    port = free_port()
    env = production_env(ARGUS_PORT=str(port), ARGUS_LOG_LEVEL="WARNING", ARGUS_RATE_LIMIT_REALTIME="1000000000")
    env.pop("ARGUS_MCP_HTTP_STATELESS", None)  # the default under test: serve decides from --workers
    processes.start("web", "manage.py", "serve", "--workers", "2", env=env)
    processes.wait_for_port("web", port)
    base = f"http://127.0.0.1:{port}"

    client_info = {"name": "test", "version": "1"}
    init = _rpc(base, HEADERS, {"jsonrpc": "2.0", "id": 0, "method": "initialize",
                                "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                                           "clientInfo": client_info}})  # fmt: skip
    assert init.status_code == 200, init.text
    session = init.headers.get("mcp-session-id")
    headers = {**HEADERS, **({"mcp-session-id": session} if session else {})}
    call = {"name": "get_market_status", "arguments": {"market": "SH"}}
    memory = Memory(processes)
    answers = [
        _rpc(base, headers, {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": call})
        for i in range(1, CALLS + 1)
    ]
    memory.before()  # after a first round: both workers have loaded the MCP server
    answers += [
        _rpc(base, headers, {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": call})
        for i in range(CALLS + 1, 2 * CALLS + 1)
    ]
    statuses = Counter(a.status_code for a in answers)
    print(f"{2 * CALLS} MCP calls, each on a new connection, over 2 workers: {dict(statuses)}; session id: {session}")
    assert session is None  # stateless: nothing a worker would have to remember
    memory.check()
    assert statuses == {200: 2 * CALLS}, [a.text[:200] for a in answers if a.status_code != 200][:3]
    assert all('"isError":false' in a.text and '"market":"SH"' in a.text for a in answers), answers[0].text[:300]
