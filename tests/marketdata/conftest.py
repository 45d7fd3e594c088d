"""Fixtures for the market-data API: swap the data source for one test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from marketdata.sources import reset_source


@pytest.fixture
def use_source(settings: Any) -> Iterator[Callable[[str], None]]:
    """Point ARGUS_DATA_SOURCE at `backend` (an alias or a dotted path) for this test."""

    def swap(backend: str, **options: Any) -> None:
        settings.ARGUS_DATA_SOURCE = {"BACKEND": backend, "OPTIONS": options}
        reset_source()

    yield swap
    reset_source()
