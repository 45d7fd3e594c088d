"""Instrument services: keep the Instrument table in step with the data source."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from marketdata.models import Instrument
from marketdata.sources import get_source
from marketdata.sources.base import DataSource
from marketdata.symbols import market_of

logger = logging.getLogger("argus.marketdata")

_FIELDS = [
    "name",
    "full_name",
    "market",
    "board",
    "kind",
    "industry",
    "sector",
    "list_date",
    "total_shares",
    "float_shares",
    "is_st",
    "status",
    "source",
    "simulated",
]


def _fill_empty(row: Instrument, info: Any, source_name: str) -> bool:
    """Fill the fields of an existing row that are empty ("" or null) from `info`; True when any was.

    Fields holding a value are never overwritten: an operator's edit in the admin survives every
    `load_reference_data` (make run re-runs it). `source` is provenance, not an edit: it follows the
    source that last listed the row.
    """
    changed = False
    for name in _FIELDS:
        if name == "simulated":
            continue  # set by the caller: a row's kind only changes when a real source takes it over
        if name == "source":
            value: Any = source_name
            if row.source != value:
                row.source, changed = value, True
            continue
        value = market_of(info.symbol) if name == "market" else getattr(info, name, None)
        if getattr(row, name) in ("", None) and value not in ("", None):
            setattr(row, name, value)
            changed = True
    return changed


def _fill_all(row: Instrument, info: Any, source_name: str, simulated: bool) -> None:
    row.name = info.name
    row.full_name = info.full_name
    row.market = market_of(info.symbol)
    row.board = info.board
    row.kind = info.kind
    row.industry = info.industry
    row.sector = info.sector
    row.list_date = info.list_date
    row.total_shares = info.total_shares
    row.float_shares = info.float_shares
    row.is_st = info.is_st
    row.status = info.status
    row.source = source_name
    row.simulated = simulated


def instruments_sync(*, source: DataSource | None = None) -> dict[str, int]:
    """Add every instrument the source knows that the table lacks; rows it no longer lists are left as they are.

    Each row records its source and whether that source is simulated. Existing rows of the same kind
    only get their empty fields filled (an operator's edits are kept; see `_fill_empty`). A simulated
    source never touches a real row (one a real source, an import or an operator wrote): invented
    names and figures must not replace real ones; a real source replaces a simulated row whole.
    `updated` counts rows filled or replaced.
    """
    source = source or get_source()
    simulated = source.serves_simulated()
    infos = source.instruments()
    existing = {row.symbol: row for row in Instrument.objects.all()}
    created: list[Instrument] = []
    updated: list[Instrument] = []
    for info in infos:
        known = existing.get(info.symbol)
        if known is None:
            row = Instrument(symbol=info.symbol)
            _fill_all(row, info, source.name, simulated)
            created.append(row)
        elif simulated and not known.simulated:
            continue
        elif known.simulated and not simulated:
            _fill_all(known, info, source.name, simulated)
            updated.append(known)
        elif _fill_empty(known, info, source.name):
            updated.append(known)
    with transaction.atomic():
        Instrument.objects.bulk_create(created, batch_size=1000)
        Instrument.objects.bulk_update(updated, _FIELDS, batch_size=1000)
    logger.info("instruments synced from %s: %d created, %d updated", source.name, len(created), len(updated))
    return {"created": len(created), "updated": len(updated)}
