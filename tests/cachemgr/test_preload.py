"""Preloading hot symbols: service, management command and admin action fill the levels."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from cachemgr.keys import instrument_info_key, latest_quote_key
from cachemgr.services import cache_fetch
from marketdata.models import Instrument
from marketdata.services.preload import cache_preload

pytestmark = pytest.mark.django_db


@pytest.fixture
def symbol(reference_data: None) -> str:
    """A listed stock of the simulated universe."""
    found = Instrument.objects.listed().stocks().first()
    assert found is not None
    return found.symbol


def _fail() -> Any:
    raise AssertionError("should have been served from the cache")


def test_preload_fills_quotes_and_info(symbol: str) -> None:
    report = cache_preload([symbol, "999999.SH"])
    assert report.unknown == ["999999.SH"] and report.loaded["BASIC_INFO"] == 1
    info = cache_fetch("BASIC_INFO", instrument_info_key(symbol), _fail)
    assert info.hit and info.value["symbol"] == symbol
    if report.loaded["LATEST_DATA"]:
        quote = cache_fetch("LATEST_DATA", latest_quote_key(symbol), _fail)
        assert quote.level == "L1" and quote.value["symbol"] == symbol


def test_preload_command_and_admin_action(symbol: str) -> None:
    out = StringIO()
    call_command("preload_cache", symbol, stdout=out)
    assert "preloaded 1 symbols" in out.getvalue()

    admin = User.objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(admin)
    pk = Instrument.objects.get(symbol=symbol).pk
    response = client.post(
        "/admin/marketdata/instrument/", {"action": "preload_into_cache", "_selected_action": [pk]}, follow=True
    )
    assert "Preloaded: LATEST_DATA 1, BASIC_INFO 1, HISTORY_DATA 1" in response.content.decode()


def test_preloaded_values_have_the_shapes_the_api_serves(symbol: str) -> None:
    """Preload calls the same selectors: afterwards the API answers from the cache exactly as it would fresh."""
    from datetime import timedelta

    from core import clock

    end = clock.shanghai_today()
    window = {"symbols": symbol, "start_date": (end - timedelta(days=30)).isoformat(), "end_date": end.isoformat()}
    client = Client()
    fresh_detail = client.get("/api/v1/market_data/instrument_detail", {"symbols": symbol, "use_cache": "false"})
    fresh_history = client.get("/api/v1/market_data/history", {**window, "use_cache": "false"})
    from cachemgr.services import state

    state.process_reset()
    cache_preload([symbol])
    detail = client.get("/api/v1/market_data/instrument_detail", {"symbols": symbol})
    assert detail.status_code == 200
    served, expected = detail.json()["data"][symbol], fresh_detail.json()["data"][symbol]
    assert list(served) == list(expected) and "market" in served
    moving = {"market_cap"}  # priced from the latest quote, which may have moved meanwhile
    assert {k: v for k, v in served.items() if k not in moving} == {
        k: v for k, v in expected.items() if k not in moving
    }
    history = client.get("/api/v1/market_data/history", window)
    assert history.status_code == fresh_history.status_code, history.content
    if history.status_code == 200:
        assert history.json()["cache_hit"] is True
        assert history.json()["data"] == fresh_history.json()["data"]
