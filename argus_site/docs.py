"""The WebSocket protocol's AsyncAPI 3 document: as YAML (/api/asyncapi.yaml) and as a page (/api/asyncapi/).

The document is `streaming/asyncapi.yaml`, committed beside the protocol it describes
(tests/ws/test_asyncapi.py checks it names every action and frame type of streaming/protocol.py).
The page is rendered here from the same file, with no script and no CDN.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import yaml
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from monitoring.views import require_GET
from streaming.protocol import ASYNCAPI_DOCUMENT


@functools.cache
def _text() -> str:
    return ASYNCAPI_DOCUMENT.read_text(encoding="utf-8")


@functools.cache
def asyncapi_document() -> dict[str, Any]:
    document = yaml.safe_load(_text())
    assert isinstance(document, dict)
    return document


@require_GET
def asyncapi_yaml(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_text(), content_type="application/yaml; charset=utf-8")


def _markdown(text: str) -> SafeString:
    """The subset the document's descriptions use: paragraphs, **bold** and `code`, escaped first."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        html = str(escape(" ".join(block.split())))
        html = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html)
        html = re.sub(r"\*(.+?)\*", r"<i>\1</i>", html)
        html = re.sub(r"`(.+?)`", r"<code>\1</code>", html)
        paragraphs.append(f"<p>{html}</p>")
    return mark_safe("\n".join(paragraphs))  # built from escaped text only


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


@require_GET
def asyncapi_page(request: HttpRequest) -> HttpResponse:
    document = asyncapi_document()
    messages = document["components"]["messages"]
    operations = []
    for key, operation in document["operations"].items():
        reply = operation.get("reply", {}).get("messages", [])
        operations.append(
            {
                "id": key,
                "title": operation.get("title", key),
                "direction": "client → server" if operation["action"] == "receive" else "server → client",
                "summary": _markdown(operation.get("summary", "")),
                "messages": [_ref_name(m["$ref"]) for m in operation["messages"]],
                "replies": [_ref_name(m["$ref"]) for m in reply],
            }
        )
    context = {
        "info": document["info"],
        "description": _markdown(document["info"].get("description", "")),
        "version": document["asyncapi"],
        "servers": document.get("servers", {}),
        "channels": document["channels"],
        "operations": operations,
        "messages": [
            {
                "name": name,
                "title": message.get("title", name),
                "summary": message.get("summary", ""),
                "payload": json.dumps(message["payload"], ensure_ascii=False, indent=2),
                "examples": [json.dumps(e["payload"], ensure_ascii=False) for e in message.get("examples", [])],
            }
            for name, message in messages.items()
        ],
        "schemas": {
            name: json.dumps(schema, ensure_ascii=False, indent=2)
            for name, schema in document["components"].get("schemas", {}).items()
        },
    }
    return render(request, "argus_site/asyncapi.html", context)
