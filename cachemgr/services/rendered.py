"""Rendered answers of the ASGI fast path: the bytes of a cached answer, built once and kept a moment.

A cached /history (or /full, /instrument_detail) answer is the same data for every request until a
value it was built from changes: reading those values from L2, unpickling them and serialising the
rows again on every request was what limited cached /history (bench/http_api.py's profile). The
fast path keeps the answer's `data` as the bytes it sent, with the envelope fields that do not
change per request, keyed by the request (path, query string, data scope), and reuses them:

- for at most ARGUS_CACHE_L1_REFRESH seconds from the read that built it (the same bound as every
  process copy of a shared value: a value replaced in L2 by another process, or by use_cache=false,
  is seen within that time), and never past the moment the oldest value it holds could expire;
- cleared with the rules it was built from (the cache API's clear, in every process) and when the
  process's L1 starts afresh;
- bounded by MAX_BYTES per process, oldest first out.

Its reuses count as L1 hits of the rules it was built from: it is a copy in process memory, as the
quote bytes are (cachemgr/services/quotebytes.py). `cache_age_seconds` is still measured from the
cached values' own store time.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Rendered:
    data: bytes  # the envelope's `data`, exactly as sent
    fields: dict[str, Any]  # the envelope's fields after `data`, in order (per-request ones replaced on use)
    stored_at: float  # core.clock timestamp of the oldest cached value in it (the cache age is measured from it)
    expires: float  # core.clock timestamp past which a value it holds may have expired
    copied: float  # time.monotonic() of the read that built it
    rules: tuple[str, ...]  # the rule of each cache read it stands for

    def size(self) -> int:
        return len(self.data) + 256


_lock = threading.Lock()
_store: OrderedDict[Hashable, Rendered] = OrderedDict()
_held = 0


def rendered_get(key: Hashable, now: float) -> Rendered | None:
    """The answer kept under `key`, while it is still true (see the module doc), else None."""
    found = _store.get(key)
    if found is None:
        return None
    if now >= found.expires or time.monotonic() - found.copied >= settings.ARGUS_CACHE_L1_REFRESH:
        with _lock:
            _drop(key)
        return None
    return found


def rendered_put(key: Hashable, rendered: Rendered) -> None:
    global _held
    with _lock:
        _drop(key)
        _store[key] = rendered
        _held += rendered.size()
        while _held > MAX_BYTES and _store:
            _drop(next(iter(_store)))


def _drop(key: Hashable) -> None:
    global _held
    old = _store.pop(key, None)
    if old is not None:
        _held -= old.size()


def rendered_clear(rules: set[str] | None = None) -> int:
    """Forget the answers built from any of `rules` (all when None); how many were forgotten."""
    with _lock:
        keys = [key for key, item in _store.items() if rules is None or rules.intersection(item.rules)]
        for key in keys:
            _drop(key)
    return len(keys)


def rendered_count(rendered: Rendered) -> None:
    """Count one reuse: a hit of each rule it stands for, found in L1 (process memory)."""
    from cachemgr.services import state

    for rule in set(rendered.rules):
        state.counters.hits(rule, "L1", rendered.rules.count(rule))


def rendered_figures() -> tuple[int, int]:
    """(answers kept, bytes held) in this process."""
    with _lock:
        return len(_store), _held
