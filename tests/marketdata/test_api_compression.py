"""Compression as the user guide promises (高效的数据压缩): gzip for large HTTP answers when the client
accepts it (the fast path compressing a cached value's data once), and WebSocket permessage-deflate
at the guide's level, negotiated only with clients that offer it."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

import httpx
import pytest
import websockets
from asgiref.sync import async_to_sync

from core.compress import gzip_parts
from tests.support.servers import uvicorn_thread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

HISTORY = "/api/v1/market_data/history"
YEAR = {"symbols": "000001.SZ", "start_date": "2024-01-01", "end_date": "2024-12-31"}


@pytest.fixture
def app(settings: Any) -> Any:
    settings.ROOT_URLCONF = "argus_site.urls"
    from argus_site.asgi import application

    return application


def _get(app: Any, path: str, params: dict[str, str], headers: dict[str, str]) -> httpx.Response:
    async def get() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            return await http.get(path, params=params, headers=headers)

    return async_to_sync(get)()


def _stable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("timestamp", "response_time_ms", "cache_age_seconds")}


def test_the_fast_path_gzips_large_answers_for_clients_that_accept_it(app: Any) -> None:
    plain = _get(app, HISTORY, YEAR, {"Accept-Encoding": "identity"})  # Django loads; then the fast path
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    fast_plain = _get(app, HISTORY, YEAR, {"Accept-Encoding": "identity"})
    fast = _get(app, HISTORY, YEAR, {"Accept-Encoding": "gzip, deflate"})
    assert "x-frame-options" not in fast.headers  # answered in the event loop
    assert fast.headers["content-encoding"] == "gzip" and "Accept-Encoding" in fast.headers["vary"]
    raw_size = len(fast_plain.content)
    assert int(fast.headers["content-length"]) < raw_size / 3  # ~35 KB of bars compress well
    assert _stable(fast.json()) == _stable(fast_plain.json()) == {**_stable(plain.json()), "cache_hit": True}
    again = _get(app, HISTORY, YEAR, {"Accept-Encoding": "gzip"})
    assert _stable(again.json()) == _stable(fast_plain.json())
    small = _get(app, "/api/v1/market_data/latest", {"symbols": "000001.SZ"}, {"Accept-Encoding": "gzip"})
    assert small.status_code == 200 and "content-encoding" not in small.headers  # below the threshold


def test_djangos_answers_are_gzipped_too(app: Any) -> None:
    csv = _get(app, HISTORY, {**YEAR, "format": "csv"}, {"Accept-Encoding": "gzip"})
    assert csv.status_code == 200 and csv.headers["content-encoding"] == "gzip"
    assert csv.text.startswith("symbol,") or "," in csv.text.splitlines()[0]
    page = _get(app, "/", {}, {"Accept-Encoding": "gzip"})
    assert "content-encoding" not in page.headers  # HTML pages are never compressed (BREACH)


def test_pieces_compressed_once_make_one_gzip_member() -> None:
    data = b'[{"close":1.0}]' * 5000
    parts = [b'{"success":true,"data":', data, b',"message":"ok"}']
    first, second = gzip_parts(parts, 1), gzip_parts([parts[0], bytes(bytearray(data)), parts[2]], 1)
    assert gzip.decompress(first) == gzip.decompress(second) == b"".join(parts)


def test_websocket_deflate_is_negotiated_only_when_the_client_asks(settings: Any) -> None:
    settings.ARGUS_WS_COMPRESSION_LEVEL = 6
    options = {"ws": "argus_site.http:DeflateWebSocketProtocol", "ws_per_message_deflate": True}
    with uvicorn_thread(**options) as port:
        url = f"ws://127.0.0.1:{port}/ws/market_data"

        async def extensions(compression: str | None) -> str | None:
            async with websockets.connect(
                url, compression=compression, origin=websockets.Origin("http://localhost"), open_timeout=10
            ) as ws:
                await asyncio.wait_for(ws.send('{"action": "ping"}'), 5)
                await asyncio.wait_for(ws.recv(), 5)
                assert ws.response is not None
                return ws.response.headers.get("Sec-WebSocket-Extensions")

        offered = asyncio.run(extensions("deflate"))
        assert offered is not None and "permessage-deflate" in offered
        assert asyncio.run(extensions(None)) is None
