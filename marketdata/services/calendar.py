"""Calendar services: sync from exchange-calendars, and tell every process the calendar changed."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Max

from cachemgr.keys import calendar_version_key
from cachemgr.services.backends import l2_bump
from core import clock
from marketdata.calendar import db_calendar
from marketdata.models import CalendarCoverage, TradingDay
from marketdata.symbols import Market

logger = logging.getLogger("argus.marketdata")

# Shanghai and Shenzhen share one calendar (exchange-calendars' XSHG); Beijing follows it from
# its opening day. The dates are when each exchange began trading.
MARKET_OPENED = {Market.SH: date(1990, 12, 19), Market.SZ: date(1991, 7, 3), Market.BJ: date(2021, 11, 15)}
CALENDAR_NAME = "XSHG"


def calendar_changed() -> None:
    """Bump the shared calendar version so every process reloads its copy."""
    if not l2_bump(calendar_version_key()):
        # The edit is saved; processes reload their copy when Redis is back (see marketdata.calendar).
        logger.warning("calendar changed while Redis is unreachable; other processes reload it when Redis is back")
    db_calendar.invalidate()


def calendar_sync() -> dict[str, int]:
    """Replace each market's trading days with exchange-calendars' XSHG sessions."""
    import exchange_calendars

    calendar = exchange_calendars.get_calendar(CALENDAR_NAME, start=MARKET_OPENED[Market.SH].isoformat())
    sessions = [ts.date() for ts in calendar.sessions]
    last = calendar.last_session.date()
    counts: dict[str, int] = {}
    with transaction.atomic():
        for market, opened in MARKET_OPENED.items():
            days = [day for day in sessions if day >= opened]
            TradingDay.objects.filter(market=market).delete()
            TradingDay.objects.bulk_create([TradingDay(market=market, date=day) for day in days], batch_size=2000)
            CalendarCoverage.objects.update_or_create(
                market=market,
                defaults={
                    "start": opened,
                    "end": last,
                    "source": f"exchange-calendars {exchange_calendars.__version__} {CALENDAR_NAME}",
                    "synced_at": datetime.now(UTC),
                },
            )
            counts[market] = len(days)
    calendar_changed()
    logger.info("calendar synced: %s", counts)
    return counts


def calendar_coverage() -> dict[str, dict[str, Any]]:
    """Per market: `covered_until` (the last trading day in the TradingDay table, or None when it is empty),
    the synced span's end and source (CalendarCoverage, None before a first sync) and the trading days left.

    Past `covered_until` the calendar claims no day open or closed: sync it (load_reference_data)
    or add overrides before then.
    """
    today = clock.shanghai_today()
    last_days = dict(TradingDay.objects.values("market").annotate(last=Max("date")).values_list("market", "last"))
    spans = {row.market: row for row in CalendarCoverage.objects.all()}
    coverage: dict[str, dict[str, Any]] = {}
    for market in MARKET_OPENED:
        last: date | None = last_days.get(market)
        span = spans.get(market)
        coverage[str(market)] = {
            "covered_until": last,
            "synced_until": span.end if span else None,
            "source": span.source if span else None,
            "synced_at": span.synced_at if span else None,
            "trading_days_left": TradingDay.objects.filter(market=market, date__gte=today).count() if last else 0,
        }
    return coverage
