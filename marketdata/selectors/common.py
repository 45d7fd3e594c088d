"""What every market-data selector shares: known symbols, source calls, calendar coverage, cache ages."""

from __future__ import annotations

import copy
import functools
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.utils.module_loading import import_string

from cachemgr.services import CacheResult
from core.errors import InvalidParameter, NotFound, ServiceUnavailable
from marketdata.calendar import db_calendar
from marketdata.models import Instrument
from marketdata.services.calendar import EXTEND_HINT
from marketdata.sources import ALIASES, current_source_if_built, get_source
from marketdata.sources.base import DataSource, SourceError

T = TypeVar("T")


class _Directory:
    """Symbol -> name of every instrument, kept per process so cached reads need no database query.

    Reloaded every `_DIRECTORY_SECONDS` and at once when an Instrument row is saved or deleted in
    this process; a symbol the copy lacks (a new listing, or a typo) is looked up in the table.
    A source that is not simulated is shown only real rows (`InstrumentQuerySet.served_to`): a row the
    simulated market left is unknown to it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}
        self._real: dict[str, str] = {}
        self._loaded = -_DIRECTORY_SECONDS

    def names(self, symbols: Sequence[str], *, simulated: bool = True) -> dict[str, str]:
        if time.monotonic() - self._loaded > _DIRECTORY_SECONDS:
            self.reload()
        known = self._names if simulated else self._real
        missing = [symbol for symbol in symbols if symbol not in known]
        if not missing:
            return known
        rows = Instrument.objects.served_to(simulated=simulated).filter(symbol__in=missing)
        return {**known, **dict(rows.values_list("symbol", "name"))}

    def only_simulated(self, symbols: Sequence[str]) -> list[str]:
        """Those of `symbols` that only the simulated market's rows know."""
        rows = Instrument.objects.filter(symbol__in=list(symbols), simulated=True)
        return list(rows.values_list("symbol", flat=True))

    def reload(self) -> None:
        rows = list(Instrument.objects.values_list("symbol", "name", "simulated"))
        names = {symbol: name for symbol, name, _ in rows}
        real = {symbol: name for symbol, name, invented in rows if not invented}
        with self._lock:
            self._names, self._real, self._loaded = names, real, time.monotonic()

    def invalidate(self, **_: Any) -> None:
        with self._lock:
            self._loaded = -_DIRECTORY_SECONDS


_DIRECTORY_SECONDS = 60.0
directory = _Directory()
post_save.connect(directory.invalidate, sender=Instrument, dispatch_uid="marketdata-directory-save")
post_delete.connect(directory.invalidate, sender=Instrument, dispatch_uid="marketdata-directory-delete")


def instrument_names(symbols: Sequence[str]) -> dict[str, str]:
    """Name per symbol from the Instrument rows the configured source may serve; NOT_FOUND names
    every symbol it does not hold."""
    name, simulated = source_identity()
    known = directory.names(symbols, simulated=simulated)
    unknown = [symbol for symbol in symbols if symbol not in known]
    invented = directory.only_simulated(unknown) if unknown and not simulated else []
    if invented:
        raise NotFound(
            f"unknown symbol(s) for source '{name}': {', '.join(unknown)}; {', '.join(invented)} only the "
            "simulated market's instrument rows list, and a real source never serves those "
            f"(run load_reference_data with source '{name}', or import the symbol's bars)"
        )
    if unknown:
        raise NotFound(
            f"unknown symbol(s): {', '.join(unknown)}; they are not in the instrument list "
            "(check the code and market suffix, or search the admin's instrument list)"
        )
    return {symbol: known[symbol] for symbol in symbols}


def from_source(source: DataSource, what: str, call: Callable[[], T]) -> T:
    """Call the source; an outage keeps its code and says what was tried, from which source."""
    try:
        return call()
    except SourceError as exc:
        told = copy.copy(exc)  # same class, code, status and headers (an UpstreamError's node code too)
        told.details = f"{what} from source '{source.name}' failed: {exc.details}"
        told.args = (told.details,)
        raise told from exc


def current_source() -> DataSource:
    """The configured source (a failure to build it is an outage, not a crash)."""
    try:
        return get_source()
    except SourceError:
        raise
    except Exception as exc:
        raise ServiceUnavailable(f"the data source could not be started: {exc}") from exc


def source_identity() -> tuple[str, bool]:
    """(name, simulated) of the configured source: the built source's own word where it is built
    (a gateway knows from its nodes), else its class's, known without building it."""
    built = current_source_if_built()
    if built is not None:
        return built.name, built.serves_simulated()
    return _class_identity(str(settings.ARGUS_DATA_SOURCE.get("BACKEND", "")))


def source_intraday_bars() -> bool:
    """Whether the configured source serves intraday bars (its class's word; never builds it)."""
    built = current_source_if_built()
    if built is not None:
        return built.intraday_bars
    return _class_intraday(str(settings.ARGUS_DATA_SOURCE.get("BACKEND", "")))


@functools.cache
def _class_intraday(backend: str) -> bool:
    return bool(import_string(ALIASES.get(backend, backend)).intraday_bars)


@functools.cache
def _class_identity(backend: str) -> tuple[str, bool]:
    cls = import_string(ALIASES.get(backend, backend))
    return cls.name, bool(cls.simulated)


def check_coverage(markets: Iterable[str], start: date, end: date) -> None:
    """INVALID_PARAMETER when [start, end] leaves the span the calendar is known for."""
    for market in sorted(set(markets)):
        calendar = db_calendar.market(market)
        if calendar.start is None or calendar.end is None:
            raise ServiceUnavailable(
                f"no trading calendar is loaded for market {market}; an operator must run load_reference_data"
            )
        if start < calendar.start or end > calendar.end:
            # Past the horizon no day is invented: say the span and how an operator extends it.
            extend = f"; an operator can {EXTEND_HINT}" if end > calendar.end else ""
            raise InvalidParameter(
                f"the {market} trading calendar covers {calendar.start.isoformat()} to {calendar.end.isoformat()}; "
                f"choose start_date and end_date within it{extend}"
            )


@dataclass
class CacheSummary:
    """Folds per-key cache results: a hit only if every key hit; the age of the oldest value served."""

    hit: bool = True
    age_seconds: float | None = None

    def add(self, result: CacheResult[Any]) -> Any:
        self.hit = self.hit and result.hit
        if result.hit and result.age_seconds is not None:
            self.age_seconds = max(self.age_seconds or 0.0, result.age_seconds)
        return result.value
