"""Data sources: one interface (`base.DataSource`), loaded from settings.ARGUS_DATA_SOURCE.

`ARGUS_DATA_SOURCE = {"BACKEND": "simulated" | "files" | "xtquant" | "upstream" | "dotted.Path",
"OPTIONS": {...}}`; the backend class is imported by string, as DRF and Wagtail load backends.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from marketdata.sources.base import DataSource, in_event_loop

ALIASES = {
    "simulated": "marketdata.sources.simulated.SimulatedSource",
    "files": "marketdata.sources.files.FilesSource",
    "xtquant": "marketdata.sources.xtquant.XtQuantSource",
    "upstream": "marketdata.sources.upstream.UpstreamSource",
}

_lock = threading.Lock()
_source: DataSource | None = None
_built_from: Any = None  # the ARGUS_DATA_SOURCE it was built from


def load_source(config: Mapping[str, Any]) -> DataSource:
    """Build a source from a BACKEND + OPTIONS mapping; ImproperlyConfigured says what is wrong."""
    backend = str(config.get("BACKEND", "")).strip()
    if not backend:
        raise ImproperlyConfigured(f"ARGUS_DATA_SOURCE needs a BACKEND: one of {', '.join(ALIASES)} or a dotted path")
    path = ALIASES.get(backend, backend)
    if "." not in path:
        raise ImproperlyConfigured(f"ARGUS_DATA_SOURCE={backend!r} is unknown; use one of {', '.join(ALIASES)}")
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"ARGUS_DATA_SOURCE={backend!r}: cannot import {path} ({exc})") from exc
    if not (isinstance(cls, type) and issubclass(cls, DataSource)):
        raise ImproperlyConfigured(f"ARGUS_DATA_SOURCE={backend!r}: {path} is not a DataSource")
    from marketdata.calendar import db_calendar

    options = dict(config.get("OPTIONS") or {})
    try:
        return cls(calendar=db_calendar, **options)
    except TypeError as exc:
        raise ImproperlyConfigured(f"ARGUS_DATA_SOURCE={backend!r}: bad OPTIONS {sorted(options)} ({exc})") from exc
    except ValueError as exc:
        raise ImproperlyConfigured(f"ARGUS_DATA_SOURCE={backend!r}: {exc}") from exc


def get_source() -> DataSource:
    """The process's data source, built on first use from settings."""
    global _source, _built_from
    if _source is None:
        with _lock:
            if _source is None:
                _built_from = copy.deepcopy(settings.ARGUS_DATA_SOURCE)
                _source = load_source(settings.ARGUS_DATA_SOURCE)
    return _source


def current_source_if_built() -> DataSource | None:
    """The process's source if it is built from today's settings, else None (never builds one)."""
    return _source if _source is not None and _built_from == settings.ARGUS_DATA_SOURCE else None


def source_scope_token() -> str:
    """The configured source's `scope_token()` for `cachemgr.keys.data_scope` (registered at start-up).

    In the event loop an unbuilt source is not built (that may block): the token is then `unbuilt`,
    a scope nothing is stored under, so the fast path misses and Django answers."""
    source = current_source_if_built()
    if source is None:
        if in_event_loop():
            return "unbuilt"
        try:
            source = get_source()
        except Exception:  # a broken configuration is reported by the request that uses it
            return "unbuilt"
    return source.scope_token()


def source_is_current() -> bool:
    """Whether the process's source (if built) was built from today's ARGUS_DATA_SOURCE."""
    return _source is None or current_source_if_built() is not None


def reset_source() -> None:
    """Drop the process's source (settings changed, or a test swaps backends)."""
    global _source, _built_from
    with _lock:
        if _source is not None:
            _source.close()
        _source, _built_from = None, None
