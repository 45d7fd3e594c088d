"""Each cache lookup is counted once, whichever path (the ASGI fast path or Django) answers it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync

from cachemgr.services import state
from marketdata.models import Instrument
from marketdata.selectors.common import directory


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["latest", "history"])
def test_fast_path_misses_are_counted_once(reference_data: None, path: str) -> None:
    from argus_site.asgi import application

    symbols = list(Instrument.objects.stocks().order_by("symbol").values_list("symbol", flat=True)[:10])
    params: dict[str, Any] = {"start_date": "2024-01-02", "end_date": "2024-01-31"} if path == "history" else {}
    rule = "HISTORY_DATA" if path == "history" else "LATEST_DATA"
    directory.reload()

    async def fetch_all() -> list[int]:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            codes = []
            for _ in range(2):  # the first round misses (Django loads), the second hits (the fast path)
                for symbol in symbols:
                    response = await client.get(f"/api/v1/market_data/{path}", params={"symbols": symbol, **params})
                    codes.append(response.status_code)
            return codes

    state.counters.reset()
    assert set(async_to_sync(fetch_all)()) == {200}
    counted = state.counters.snapshot()["rules"][rule]
    assert (counted["fetches"], counted["hits"]) == (20, 10), counted
