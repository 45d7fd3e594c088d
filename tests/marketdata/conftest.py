"""Fixtures for the market-data tests: the synced calendar, sources built by the real loader, swapping the source."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cachemgr.services import state
from marketdata.sources import load_source, reset_source
from marketdata.sources.base import DataSource


@pytest.fixture
def calendar(db: Any, reference_data: None) -> None:
    """The synced trading calendar (and the configured source's instruments)."""


@pytest.fixture
def sim(calendar: None) -> DataSource:
    """A small simulated market on the exchange's clock."""
    return load_source({"BACKEND": "simulated", "OPTIONS": {"seed": 7, "universe_size": 120, "clock": "real"}})


@pytest.fixture(autouse=True)
def _empty_l1() -> Iterator[None]:
    """The global fixture empties L2; this process's L1 must start empty too (cachemgr's own reset)."""
    state.process_reset()
    yield
    state.process_reset()


@pytest.fixture
def use_source(settings: Any) -> Iterator[Callable[[str], None]]:
    """Point ARGUS_DATA_SOURCE at `backend` (an alias or a dotted path) for this test."""

    def swap(backend: str, **options: Any) -> None:
        settings.ARGUS_DATA_SOURCE = {"BACKEND": backend, "OPTIONS": options}
        reset_source()

    yield swap
    reset_source()
