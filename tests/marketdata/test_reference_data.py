"""`load_reference_data` adds instruments and keeps operators' edits; `preload_cache` says what it reaches."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from marketdata.models import Instrument

pytestmark = pytest.mark.django_db


def test_reload_adds_new_instruments_and_keeps_edits(reference_data: None) -> None:
    edited = Instrument.objects.get(symbol="000001.SZ")
    original_full_name = edited.full_name
    edited.name = "平安银行(operator)"
    edited.industry = "operator's industry"
    edited.is_st = True
    edited.full_name = ""  # an emptied field is filled again from the source
    edited.save()
    Instrument.objects.filter(symbol="600000.SH").delete()  # "new" to the table

    out = StringIO()
    call_command("load_reference_data", stdout=out)
    text = out.getvalue()
    assert "instruments: 1 created" in text and "never overwritten" in text

    edited.refresh_from_db()
    assert (edited.name, edited.industry, edited.is_st) == ("平安银行(operator)", "operator's industry", True)
    assert edited.full_name == original_full_name != ""
    added = Instrument.objects.get(symbol="600000.SH")
    assert added.name == "浦发银行" and added.source == "simulated"

    out = StringIO()
    call_command("load_reference_data", stdout=out)
    assert "instruments: 0 created, 0 with empty fields filled" in out.getvalue()


def test_preload_cache_says_what_a_running_server_gets(reference_data: None) -> None:
    out = StringIO()
    call_command("preload_cache", "000001.SZ", stdout=out)
    text = out.getvalue()
    assert "preloaded 1 symbols" in text
    if settings.USE_REDIS:
        assert "reached the shared levels: L2 (Redis) and L3 (database)" in text
    else:
        assert "a running server gets only what went to L3, the database table (BASIC_INFO)" in text
        assert "admin action" in text
