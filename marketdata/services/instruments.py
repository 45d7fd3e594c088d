"""Instrument services: keep the Instrument table in step with the data source."""

from __future__ import annotations

import logging

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


def instruments_sync(*, source: DataSource | None = None) -> dict[str, int]:
    """Upsert every instrument the source knows; rows it no longer lists are left as they are.

    Each row records its source and whether that source is simulated. A simulated source never
    overwrites a real row (one a real source, an import or an operator wrote): invented names and
    figures must not replace real ones; a real source does replace simulated rows."""
    source = source or get_source()
    simulated = source.serves_simulated()
    infos = source.instruments()
    existing = {row.symbol: row for row in Instrument.objects.all()}
    created: list[Instrument] = []
    updated: list[Instrument] = []
    for info in infos:
        row = existing.get(info.symbol) or Instrument(symbol=info.symbol)
        if simulated and row.pk and not row.simulated:
            continue
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
        row.source = source.name
        row.simulated = simulated
        (updated if row.pk else created).append(row)
    with transaction.atomic():
        Instrument.objects.bulk_create(created, batch_size=1000)
        Instrument.objects.bulk_update(updated, _FIELDS, batch_size=1000)
    logger.info("instruments synced from %s: %d created, %d updated", source.name, len(created), len(updated))
    return {"created": len(created), "updated": len(updated)}
