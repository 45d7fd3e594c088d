"""Every HTTP request of the user guide (its ```http blocks), sent as written, in the guide's order.

The requests are the guide's blocks byte for byte (tests/clients/examples/guide_http_*.http; a test
checks they still are where the spec is at hand). `{pool_name}` is the pool the guide creates.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.clients.test_doc_examples import SPEC

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

EXAMPLES = Path(__file__).parent / "examples"
POOL = "market_data_pool"  # the name in the guide's create-pool body


def _requests() -> list[Path]:
    return sorted(EXAMPLES.glob("guide_http_*.http"))


def test_the_http_examples_are_the_guides_blocks_verbatim() -> None:
    if not (SPEC / "user_guide.md").exists():
        pytest.skip(f"the spec is not at {SPEC} (set ARGUS_SPEC_DIR)")
    blocks = re.findall(r"```http\n(.*?)```", (SPEC / "user_guide.md").read_text(encoding="utf-8"), re.S)
    assert [path.read_text(encoding="utf-8") for path in _requests()] == blocks


def _parse(text: str) -> tuple[str, str, dict[str, str], str]:
    """Method, path, headers and body of one block (request line, headers, blank line, body)."""
    head, _, body = text.partition("\n\n")
    request_line, *header_lines = head.strip().splitlines()
    method, path = request_line.split()
    headers = dict(line.split(": ", 1) for line in header_lines)
    return method, path.replace("{pool_name}", POOL), headers, body.strip()


def test_every_http_example_of_the_guide_succeeds(client: Any) -> None:
    answers: dict[str, dict[str, Any]] = {}
    for path in _requests():
        method, url, headers, body = _parse(path.read_text(encoding="utf-8"))
        response = client.generic(method, url, body, content_type=headers.get("Content-Type", ""))
        payload = response.json()
        assert response.status_code in (200, 201), (path.name, response.status_code, payload)
        assert payload["success"] is True, (path.name, payload)
        if body:
            json.loads(body)  # the guide's body is JSON as written
        answers[path.stem.split("_", 3)[3]] = payload
    assert list(answers["latest"]["data"]) == ["000001.SZ", "000002.SZ"]
    full = answers["full"]["data"]["000001.SZ"]
    assert set(full["basic"]) == {"symbol", "price", "volume"} and set(full["orderbook"]) == {"bids", "asks"}
    assert len(answers["history"]["data"]["000001.SZ"]) == 22  # January 2024's trading days
    assert answers["pool_create"]["pool_name"] == POOL and answers["pool_create"]["server_nodes_count"] == 1
    assert [pool["name"] for pool in answers["pool_list"]["pools"]] == [POOL]
    assert answers["pool_detail"]["pool_name"] == POOL
    assert (answers["pool_scale"]["target_size"], answers["pool_scale"]["new_size"]) == (30, 30)
