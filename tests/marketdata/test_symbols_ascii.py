"""Symbols are ASCII: Python's \\d also matches full-width digits, which once slipped through."""

from __future__ import annotations

import pytest
from django.test import Client

from marketdata.symbols import InvalidSymbol, parse_symbol


@pytest.mark.parametrize("text", ["０００００１.SZ", "000００1.SZ", "600000．SH", "٦٠٠٠٠٠.SH"])
def test_non_ascii_symbols_are_refused_saying_why(text: str) -> None:
    with pytest.raises(InvalidSymbol, match="non-ASCII"):
        parse_symbol(text)


@pytest.mark.django_db
def test_full_width_digits_are_invalid_parameter_over_rest(reference_data: None) -> None:
    for path in ("/api/v1/market_data/latest", "/api/v1/market_data/instrument_detail"):
        body = Client().get(path, {"symbols": "000００1.SZ"}).json()
        assert body["error"]["code"] == "INVALID_PARAMETER", (path, body)
        assert "non-ASCII" in body["error"]["details"]
