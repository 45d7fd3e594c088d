"""The AsyncAPI 3 document of /ws/market_data: it parses, and it cannot drift from streaming/protocol.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import jsonschema
import pytest
import yaml
from django.test import Client

from core.errors import ERROR_CODES
from streaming.protocol import ACTIONS, ASYNCAPI_DOCUMENT, FIELDS, SERVER_MESSAGES
from tests.support.paths import ROOT


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded = yaml.safe_load(ASYNCAPI_DOCUMENT.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _resolve(node: Any, root: dict[str, Any]) -> Any:
    """`node` with every local $ref replaced by what it points at (so examples can be validated)."""
    if isinstance(node, dict):
        if set(node) == {"$ref"}:
            target: Any = root
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target, root)
        return {key: _resolve(value, root) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, root) for item in node]
    return node


def test_it_is_asyncapi_3_and_every_reference_resolves(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert document["channels"]["marketData"]["address"] == "/ws/market_data"
    _resolve(document, document)  # a dangling $ref raises KeyError
    for operation in document["operations"].values():
        assert operation["action"] in ("send", "receive")


def test_it_names_every_action_the_server_accepts_and_every_frame_it_sends(document: dict[str, Any]) -> None:
    messages = document["components"]["messages"]
    actions = {
        m["payload"]["properties"]["action"]["const"]
        for m in messages.values()
        if "action" in m["payload"]["properties"] and "const" in m["payload"]["properties"]["action"]
    }
    types = {
        m["payload"]["properties"]["type"]["const"] for m in messages.values() if "type" in m["payload"]["properties"]
    }
    assert actions == set(ACTIONS)
    assert types == set(SERVER_MESSAGES)
    assert set(document["channels"]["marketData"]["messages"]) == set(ACTIONS) | set(SERVER_MESSAGES)
    received = {
        m["$ref"].rsplit("/", 1)[-1]
        for op in document["operations"].values()
        if op["action"] == "receive"
        for m in op["messages"]
    }
    sent = {
        m["$ref"].rsplit("/", 1)[-1]
        for op in document["operations"].values()
        for m in (op["messages"] if op["action"] == "send" else op.get("reply", {}).get("messages", []))
    }
    assert received == set(ACTIONS)
    assert sent == set(SERVER_MESSAGES)
    assert document["components"]["schemas"]["field"]["enum"] == list(FIELDS)
    assert set(messages["error"]["payload"]["properties"]["error"]["properties"]["code"]["enum"]) <= set(ERROR_CODES)


def test_the_code_sends_no_frame_type_the_protocol_does_not_list() -> None:
    """Every `"type": "..."` frame literal in streaming/ is in SERVER_MESSAGES, and each of them is sent somewhere."""
    sent: set[str] = set()
    for path in (ROOT / "streaming").rglob("*.py"):
        sent |= set(re.findall(r'"type":\s*"([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert sent == set(SERVER_MESSAGES)


def test_the_examples_match_their_message_payloads(document: dict[str, Any]) -> None:
    resolved = _resolve(document, document)
    count = 0
    for name, message in resolved["components"]["messages"].items():
        for example in message.get("examples", []):
            validator = jsonschema.Draft202012Validator(message["payload"])
            errors = [e.message for e in validator.iter_errors(example["payload"])]
            assert not errors, (name, errors)
            count += 1
    assert count >= 3


@pytest.mark.django_db
def test_it_is_served_as_yaml_and_rendered_as_a_page(client: Client, document: dict[str, Any]) -> None:
    raw = client.get("/api/asyncapi.yaml")
    assert raw.status_code == 200
    assert raw["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(raw.content) == document
    page = client.get("/api/asyncapi/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script" not in html and "http" not in html.split("</head>")[0].replace("http-equiv", "")
    for name in (*ACTIONS, *SERVER_MESSAGES):
        assert f'id="message-{name}"' in html
    refused = client.post("/api/asyncapi/")
    assert refused.status_code == 405
    assert refused.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.usefixtures("stream", "instruments")
async def test_a_real_session_sends_only_frames_the_document_describes(
    connect: Any, make_tick: Any, document: dict[str, Any]
) -> None:
    """Every action sent and every frame received in a session validates against its message's payload."""
    from asgiref.sync import sync_to_async

    from streaming.services.ticks import ticks_ingest

    resolved = _resolve(document, document)["components"]["messages"]

    def check(message: dict[str, Any], key: str) -> str:
        name = message[key]
        errors = [e.message for e in jsonschema.Draft202012Validator(resolved[name]["payload"]).iter_errors(message)]
        assert not errors, (name, message, errors)
        return str(name)

    await sync_to_async(ticks_ingest)([make_tick("000001.SZ", 0)])
    ws = await connect()
    seen: list[str] = []

    async def send(message: dict[str, Any], answers: int) -> None:
        if "action" in message and message["action"] in resolved and message.get("symbols") != []:
            check(message, "action")
        await ws.send_json_to(message)
        for _ in range(answers):
            seen.append(check(await ws.receive_json_from(timeout=5), "type"))

    await send({"action": "subscribe", "symbols": ["000001.SZ"], "fields": ["price", "volume"]}, 2)
    await sync_to_async(ticks_ingest)([make_tick("000001.SZ", 1)])
    seen.append(check(await ws.receive_json_from(timeout=5), "type"))
    await send({"action": "ping"}, 1)
    await send({"action": "get_stats"}, 1)
    await send({"action": "subscribe", "symbols": ["000001.SZ"], "resume_from": {"000001.SZ": 1}, "epoch": "gone"}, 3)
    await send({"action": "unsubscribe", "symbols": ["000001.SZ"]}, 1)
    await send({"action": "subscribe", "symbols": []}, 1)
    assert set(seen) >= {"subscribed", "snapshot", "market_data", "pong", "stats", "reset", "unsubscribed", "error"}


@pytest.mark.usefixtures("stream")
@pytest.mark.parametrize(
    "options",
    [
        {"simulated": True, "provisional": True},  # the simulated market past the calendar's coverage
        {"simulated": False, "end_of_day": True, "data_day": date(2024, 1, 31)},  # the files source
    ],
)
def test_every_key_of_the_market_status_is_documented(document: dict[str, Any], options: dict[str, Any]) -> None:
    """The market status the feed publishes (and the subscribe ack repeats) names only documented keys."""
    import orjson

    from marketdata.sources.base import Phase
    from streaming import get_store
    from streaming.services.feed import _publish_phase

    store = get_store()
    _publish_phase(store, Phase.CONTINUOUS, datetime(2027, 1, 5, 2, 0, tzinfo=UTC), **options)
    published = orjson.loads(store.swap("market", "{}") or "{}")
    status = _resolve(document, document)["components"]["messages"]["status"]["payload"]["properties"]["data"]
    market = next(schema for schema in status["oneOf"] if schema.get("title") == "market")
    assert set(published) - set(market["properties"]) == set(), published
    errors = [e.message for e in jsonschema.Draft202012Validator(market).iter_errors(published)]
    assert not errors, (published, errors)
