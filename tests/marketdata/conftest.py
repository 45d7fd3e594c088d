"""Fixtures for the data-source tests: the synced calendar and sources built by the real loader."""

from __future__ import annotations

from typing import Any

import pytest

from marketdata.sources import load_source
from marketdata.sources.base import DataSource


@pytest.fixture
def calendar(db: Any, reference_data: None) -> None:
    """The synced trading calendar (and the configured source's instruments)."""


@pytest.fixture
def sim(calendar: None) -> DataSource:
    """A small simulated market on the exchange's clock."""
    return load_source({"BACKEND": "simulated", "OPTIONS": {"seed": 7, "universe_size": 120, "clock": "real"}})
