"""Which symbols exist and what they are called: read from the Instrument table, cached per process."""

from __future__ import annotations

import threading
import time

_REFRESH_SECONDS = 60.0
_lock = threading.Lock()
_names: dict[str, str] = {}
_loaded_at = float("-inf")


def instrument_names() -> dict[str, str]:
    """Symbol -> short name of every listed instrument the configured source may serve (a real source
    is never given the simulated market's rows); falls back to the source before the first sync."""
    global _names, _loaded_at
    if time.monotonic() - _loaded_at < _REFRESH_SECONDS and _names:
        return _names
    from marketdata.models import Instrument
    from marketdata.selectors.common import source_identity
    from marketdata.sources import get_source

    rows = Instrument.objects.served_to(simulated=source_identity()[1]).listed()
    names = dict(rows.values_list("symbol", "name"))
    if not names:
        names = {info.symbol: info.name for info in get_source().instruments()}
    with _lock:
        _names, _loaded_at = names, time.monotonic()
    return names


def instrument_names_cached() -> dict[str, str] | None:
    """The names if loaded and fresh, else None: async callers then load them on a worker thread."""
    if time.monotonic() - _loaded_at < _REFRESH_SECONDS and _names:
        return _names
    return None


def directory_reset() -> None:
    """Forget the cached names (after an instruments sync, or in tests)."""
    global _loaded_at
    with _lock:
        _loaded_at = float("-inf")
