"""Fixtures for the data-source tests: the synced calendar and sources built by the real loader."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
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


FAKES = Path(__file__).resolve().parent.parent / "fakes"


def _purge_xtquant() -> None:
    for name in [name for name in sys.modules if name == "xtquant" or name.startswith("xtquant.")]:
        del sys.modules[name]


@pytest.fixture
def xtquant_fake() -> Iterator[ModuleType]:
    """The fake `xtquant.xtdata` (tests/fakes) importable, with fresh state; gone again afterwards."""
    _purge_xtquant()
    sys.path.insert(0, str(FAKES))
    try:
        yield importlib.import_module("xtquant.xtdata")
    finally:
        sys.path.remove(str(FAKES))
        _purge_xtquant()
