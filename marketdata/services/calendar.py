"""Calendar services: merge the calendar's layers, import holiday notices, watch the horizon, and tell
every process the calendar changed.

The layers, in order (later ones decide the days they cover):
1. the exchange-calendars package (XSHG; SH and SZ share it, BJ follows it from its opening day);
2. the data source's own calendar where it has one (xtquant's get_trading_dates/get_holidays, an
   upstream node's calendar through the node-to-node API) - only beyond what the package covers:
   the package is the vetted base, a source extends it rather than contradicting it;
3. operators' imports of the exchanges' published holiday notice (`manage.py import_holidays`): an
   imported year decides each of its days (weekdays minus the listed closed days);
4. admin overrides, applied when the calendar is read (marketdata.calendar).
Each trading day records the layer that decided it (TradingDay.source). Coverage runs from the
market's opening day to the end of the last layer that continues it without a gap.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.module_loading import import_string

from cachemgr.keys import calendar_version_key
from cachemgr.services.backends import l2_bump
from core import clock
from marketdata.calendar import db_calendar
from marketdata.models import CalendarCoverage, HolidayImport, TradingDay
from marketdata.sources.base import CalendarSpan, DataSource
from marketdata.symbols import Market

logger = logging.getLogger("argus.marketdata")

# Shanghai and Shenzhen share one calendar (exchange-calendars' XSHG); Beijing follows it from
# its opening day. The dates are when each exchange began trading.
MARKET_OPENED: dict[str, date] = {
    Market.SH: date(1990, 12, 19),
    Market.SZ: date(1991, 7, 3),
    Market.BJ: date(2021, 11, 15),
}
CALENDAR_NAME = "XSHG"
# How to extend the calendar, said wherever its end is reported (health, alerts, 400s).
EXTEND_HINT = (
    "extend it: import the exchanges' holiday notice with `python manage.py import_holidays FILE` "
    "(example: config/holidays.example.yaml), or upgrade exchange-calendars and run `python manage.py sync_calendar`"
)


def markets_open_in(start: date, end: date) -> tuple[str, ...]:
    """The markets that existed at some day of [start, end] (what market=ALL means): before
    2021-11-15 that is SH and SZ."""
    return tuple(str(market) for market, opened in MARKET_OPENED.items() if opened <= end)


def calendar_changed() -> None:
    """Bump the shared calendar version so every process reloads its copy."""
    if not l2_bump(calendar_version_key()):
        # The edit is saved; processes reload their copy when Redis is back (see marketdata.calendar).
        logger.warning("calendar changed while Redis is unreachable; other processes reload it when Redis is back")
    db_calendar.invalidate()


@dataclass
class LayerReport:
    layer: str
    start: date
    end: date
    added: int = 0  # trading days this layer added
    removed: int = 0  # days earlier layers had open that this layer closes
    used: bool = True  # False: it left a gap after the coverage so far (or ended inside it), so it was not laid
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "span": [self.start.isoformat(), self.end.isoformat()],
            "added": self.added,
            "removed": self.removed,
            "used": self.used,
            **({"note": self.note} if self.note else {}),
        }


@dataclass
class MarketSync:
    market: str
    days: int = 0
    covered_until: date | None = None
    layers: list[LayerReport] = field(default_factory=list)


def _package_span() -> CalendarSpan:
    import exchange_calendars

    calendar = exchange_calendars.get_calendar(CALENDAR_NAME, start=MARKET_OPENED[Market.SH].isoformat())
    return CalendarSpan(
        f"exchange-calendars {exchange_calendars.__version__} {CALENDAR_NAME}",
        MARKET_OPENED[Market.SH],
        calendar.last_session.date(),
        frozenset(ts.date() for ts in calendar.sessions),
    )


def _source_with_own_calendar() -> DataSource | None:
    """The configured source when its class has its own calendar (built only then)."""
    from marketdata.sources import ALIASES, get_source

    backend = str(settings.ARGUS_DATA_SOURCE.get("BACKEND", ""))
    try:
        cls = import_string(ALIASES.get(backend, backend))
    except ImportError:
        return None
    if getattr(cls, "own_calendar", None) is DataSource.own_calendar:
        return None
    return get_source()


def _import_spans(market: str) -> list[CalendarSpan]:
    spans = []
    for row in HolidayImport.objects.filter(market=market).order_by("year"):
        first, last = date(row.year, 1, 1), date(row.year, 12, 31)
        closed = {date.fromisoformat(text) for text in row.closed}
        days = frozenset(
            first + timedelta(days=n)
            for n in range((last - first).days + 1)
            if (first + timedelta(days=n)).weekday() < 5 and first + timedelta(days=n) not in closed
        )
        spans.append(CalendarSpan(f"holiday import {row.year} ({row.source})", first, last, days))
    return spans


def _lay(
    decided: dict[date, str], end: date | None, span: CalendarSpan, opened: date, *, beyond: bool
) -> tuple[date | None, LayerReport]:
    """Lay `span` over the days decided so far (day -> layer); `beyond`: only after `end`."""
    start = max(span.start, opened, (end + timedelta(days=1)) if beyond and end else span.start)
    report = LayerReport(span.label, span.start, span.end)
    if span.end < start:
        report.used, report.note = False, "adds nothing after the coverage so far"
        return end, report
    if end is not None and start > end + timedelta(days=1):
        report.used, report.note = False, f"leaves a gap after {end.isoformat()}"
        return end, report
    for day in [day for day in decided if start <= day <= span.end and day not in span.days]:
        del decided[day]
        report.removed += 1
    for day in span.days:
        if start <= day <= span.end:
            if day not in decided:
                report.added += 1
            decided[day] = span.label
    return max(end or span.end, span.end), report


def calendar_sync() -> dict[str, MarketSync]:
    """Merge the layers into each market's trading days and coverage; returns what each layer added."""
    package = _package_span()
    source = None
    source_error = ""
    try:
        source = _source_with_own_calendar()
    except Exception as exc:  # the source's calendar is an extra layer: without it the rest still syncs
        source_error = f"the data source could not be built: {exc}"
    results: dict[str, MarketSync] = {}
    with transaction.atomic():
        for market, opened in MARKET_OPENED.items():
            sync = MarketSync(str(market))
            decided: dict[date, str] = {}
            end, report = _lay(decided, None, package, opened, beyond=False)
            sync.layers.append(report)
            if source is not None and end is not None:
                try:
                    own = source.own_calendar(str(market), end)
                except Exception as exc:
                    logger.warning("calendar sync: the %s source's calendar of %s failed: %s", source.name, market, exc)
                    own = None
                    source_error = f"the {source.name} source's calendar failed: {exc}"
                if own is not None:
                    end, report = _lay(decided, end, own, opened, beyond=True)
                    sync.layers.append(report)
            if source_error:
                sync.layers.append(LayerReport("data source", opened, opened, used=False, note=source_error))
            for span in _import_spans(str(market)):
                end, report = _lay(decided, end, span, opened, beyond=False)
                sync.layers.append(report)
            if end is None:  # the package always covers its span; without it nothing is known
                raise RuntimeError(f"no calendar layer covers {market}")
            TradingDay.objects.filter(market=market).delete()
            TradingDay.objects.bulk_create(
                [TradingDay(market=market, date=day, source=label[:80]) for day, label in sorted(decided.items())],
                batch_size=2000,
            )
            used = [layer.layer for layer in sync.layers if layer.used]
            CalendarCoverage.objects.update_or_create(
                market=market,
                defaults={
                    "start": opened,
                    "end": end,
                    "source": "; ".join(used)[:200],
                    "synced_at": clock.now(),
                },
            )
            sync.days, sync.covered_until = len(decided), end
            results[str(market)] = sync
    calendar_changed()
    logger.info("calendar synced: %s", {m: (s.days, str(s.covered_until)) for m, s in results.items()})
    return results


def describe_sync(results: dict[str, MarketSync]) -> list[str]:
    """One line per market and layer, for the commands' output."""
    lines = []
    for market, sync in results.items():
        until = sync.covered_until.isoformat() if sync.covered_until else "nothing"
        lines.append(f"{market}: {sync.days} trading days, covered until {until}")
        for layer in sync.layers:
            what = f"+{layer.added} days, -{layer.removed}" if layer.used else f"not used ({layer.note})"
            lines.append(f"  {layer.layer} [{layer.start}..{layer.end}]: {what}")
    return lines


# --- holiday imports ---------------------------------------------------------------------------


class HolidayFileError(ValueError):
    """The holiday file cannot be read; the message says what to fix."""


def parse_holiday_file(path: Path) -> dict[int, dict[str, Any]]:
    """{year: {"closed": [date, ...], "markets": [...]}} from a YAML or CSV holiday file.

    YAML: a mapping of year -> list of closed dates (ISO), or year -> {closed: [...], markets: [SH, SZ]}.
    CSV: rows `date[,market]` (a header row `date,market` is optional); the years are those of the dates.
    Every year named is taken as complete: its weekdays not listed are trading days.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HolidayFileError(f"cannot read {path}: {exc}") from exc
    all_markets = [str(m) for m in MARKET_OPENED]
    years: dict[int, dict[str, Any]] = {}

    def add(year: int, day: date, markets: Iterable[str]) -> None:
        if day.year != year:
            raise HolidayFileError(f"{day.isoformat()} is listed under year {year}")
        entry = years.setdefault(year, {"closed": set(), "markets": set()})
        entry["closed"].add(day)
        entry["markets"].update(markets)

    if path.suffix.lower() == ".csv":
        import csv

        for number, row in enumerate(csv.reader(text.splitlines()), start=1):
            if not row or not row[0].strip() or row[0].strip().startswith("#") or row[0].strip().lower() == "date":
                continue
            day = _parse_day(row[0], f"line {number}")
            markets = [row[1].strip().upper()] if len(row) > 1 and row[1].strip() else all_markets
            add(day.year, day, markets)
    else:
        import yaml

        try:
            loaded = yaml.safe_load(text)
        except (yaml.YAMLError, ValueError) as exc:  # PyYAML parses dates itself: a bad one is a ValueError
            raise HolidayFileError(f"{path} cannot be read as YAML of dates (YYYY-MM-DD): {exc}") from exc
        if not isinstance(loaded, dict) or not loaded:
            raise HolidayFileError(f"{path}: expected a mapping of year -> closed dates")
        for key, value in loaded.items():
            try:
                year = int(key)
            except (TypeError, ValueError):
                raise HolidayFileError(f"{path}: {key!r} is not a year") from None
            markets = all_markets
            if isinstance(value, dict):
                markets = [str(m).upper() for m in value.get("markets") or all_markets]
                value = value.get("closed")
            if not isinstance(value, list):
                raise HolidayFileError(f"{path}: year {year} needs a list of closed dates")
            years.setdefault(year, {"closed": set(), "markets": set(markets)})
            for item in value:
                add(year, _parse_day(item, f"year {year}"), markets)
    for year, entry in years.items():
        unknown = set(entry["markets"]) - set(all_markets)
        if unknown:
            raise HolidayFileError(f"year {year}: unknown market(s) {', '.join(sorted(unknown))}; use SH, SZ or BJ")
        entry["closed"] = sorted(entry["closed"])
        entry["markets"] = sorted(entry["markets"])
    if not years:
        raise HolidayFileError(f"{path} lists no closed dates")
    return years


def _parse_day(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise HolidayFileError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def import_holidays(path: Path) -> dict[str, MarketSync]:
    """Store each year of the file (replacing an earlier import of that year), then re-sync."""
    years = parse_holiday_file(path)
    with transaction.atomic():
        for year, entry in years.items():
            for market in entry["markets"]:
                HolidayImport.objects.update_or_create(
                    market=market,
                    year=year,
                    defaults={
                        "closed": [d.isoformat() for d in entry["closed"] if d.weekday() < 5],
                        "source": path.name[:200],
                        "imported_at": clock.now(),
                    },
                )
    return calendar_sync()


# --- the horizon ------------------------------------------------------------------------------


def calendar_coverage() -> dict[str, dict[str, Any]]:
    """{market: {"covered_from", "covered_until", "days_left", "trading_days_left", "source", "synced_at"}}.

    `covered_until` is the last trading day the calendar holds (None when it holds none): past it the
    calendar claims no day open or closed. `days_left`: calendar days from today (Shanghai) to it;
    `trading_days_left`: trading days from today on.
    """
    today = clock.shanghai_today()
    last_days = dict(TradingDay.objects.values("market").annotate(last=Max("date")).values_list("market", "last"))
    rows = {row.market: row for row in CalendarCoverage.objects.all()}
    coverage: dict[str, dict[str, Any]] = {}
    for market in MARKET_OPENED:
        row = rows.get(market)
        last: date | None = last_days.get(market)
        coverage[str(market)] = {
            "covered_from": row.start if row else None,
            "covered_until": last,
            "days_left": (last - today).days if last else None,
            "trading_days_left": TradingDay.objects.filter(market=market, date__gte=today).count() if last else 0,
            "source": row.source if row else None,
            "synced_at": row.synced_at if row else None,
        }
    return coverage


def calendar_horizon() -> tuple[str, str, dict[str, Any]]:
    """(status, reason, per-market figures) of the calendar's horizon, for /health and alerts:
    degraded when a market's coverage ends within ARGUS_CALENDAR_HORIZON_DAYS (or nothing is loaded)."""
    horizon = int(settings.ARGUS_CALENDAR_HORIZON_DAYS)
    coverage = calendar_coverage()
    short = []
    for market, row in coverage.items():
        if row["covered_until"] is None:
            short.append(f"no {market} calendar is loaded (run `python manage.py load_reference_data`)")
        elif row["days_left"] <= horizon:
            until = row["covered_until"].isoformat()
            short.append(
                f"the {market} calendar ends {until} ({row['days_left']} days left, within {horizon} days)"
                if row["days_left"] >= 0
                else f"the {market} calendar ended {until} ({-row['days_left']} days ago)"
            )
    markets = {
        market: {
            "covered_until": row["covered_until"].isoformat() if row["covered_until"] else None,
            "days_left": row["days_left"],
            "source": row["source"],
        }
        for market, row in coverage.items()
    }
    if short:
        return "degraded", f"{'; '.join(short)}; {EXTEND_HINT}", markets
    return "healthy", f"every market is covered for at least {horizon} days", markets


def calendar_days_left() -> float | None:
    """The fewest days left of any market's coverage (the alert rules' calendar_days_left)."""
    left = [row["days_left"] for row in calendar_coverage().values() if row["days_left"] is not None]
    return float(min(left)) if left else None
