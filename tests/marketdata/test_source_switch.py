"""No number crosses from one source into another: cache keys carry the configured source."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from cachemgr.keys import data_scope
from cachemgr.services import state
from tests.support.paths import shared_data

LATEST = "/api/v1/market_data/latest"


@pytest.mark.django_db
def test_a_quote_cached_under_the_simulated_source_is_not_served_as_files_data(
    calendar: None, use_source: Any, settings: Any
) -> None:
    client = Client()
    simulated = client.get(LATEST, {"symbols": "000001.SZ"}).json()
    assert simulated["source"]["simulated"] is True
    assert client.get(LATEST, {"symbols": "000001.SZ"}).json()["cache_hit"] is True  # it is cached now
    simulated_scope = data_scope()

    call_command("import_bars", str(shared_data() / "000001.SZ_2023_2024_daily.csv"))
    use_source("files")
    assert data_scope() != simulated_scope
    state.process_reset()  # L1 too, as a restart with the new source would (L2 and L3 keep theirs)
    files = client.get(LATEST, {"symbols": "000001.SZ"}).json()
    assert files["cache_hit"] is False
    assert (files["source"]["source"], files["source"]["simulated"]) == ("files", False)
    assert files["data"]["000001.SZ"]["price"] == 11.70  # the file's last close (2024-12-31), not the simulated price


def test_the_scope_follows_backend_and_options(settings: Any) -> None:
    settings.ARGUS_DATA_SOURCE = {"BACKEND": "simulated", "OPTIONS": {"seed": 1, "universe_size": 50}}
    one = data_scope()
    settings.ARGUS_DATA_SOURCE = {"BACKEND": "simulated", "OPTIONS": {"universe_size": 50, "seed": 1}}
    assert data_scope() == one  # the same configuration, however written
    settings.ARGUS_DATA_SOURCE = {"BACKEND": "simulated", "OPTIONS": {"seed": 2, "universe_size": 50}}
    assert data_scope() != one
