"""GET /instrument_detail: the spec's fields, market cap from price and shares, nothing invented."""

from __future__ import annotations

from typing import Any

import pytest

from marketdata.models import Instrument
from marketdata.sources import get_source

pytestmark = pytest.mark.django_db
FIELDS = [
    "symbol", "name", "full_name", "industry", "sector", "market", "list_date",
    "total_shares", "float_shares", "market_cap", "pe_ratio", "pb_ratio", "dividend_yield",
]  # fmt: skip


def test_detail_has_the_spec_fields_and_a_computed_market_cap(client: Any, reference_data: None) -> None:
    symbol = Instrument.objects.stocks().order_by("symbol").values_list("symbol", flat=True).first()
    body = client.get("/api/v1/market_data/instrument_detail", {"symbols": symbol}).json()
    detail = body["data"][symbol]
    assert list(detail) == FIELDS
    info = get_source().instrument(str(symbol))
    assert info is not None
    assert detail["name"] == info.name
    assert detail["total_shares"] == info.total_shares
    assert (detail["pe_ratio"], detail["pb_ratio"], detail["dividend_yield"]) == (
        info.pe_ratio,
        info.pb_ratio,
        info.dividend_yield,
    )
    price = client.get("/api/v1/market_data/latest", {"symbols": symbol}).json()["data"][symbol]["price"]
    assert detail["market_cap"] == round(price * info.total_shares, 2)
    assert body["source"]["simulated"] is True
