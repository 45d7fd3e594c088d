"""The `files` source: daily bars imported with `import_bars`, served from the database.

End-of-day data only: ticks are the last imported close (no order book, no trades) and intraday
periods raise PeriodNotAvailable, since the files hold no intraday bars.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from django.db import DatabaseError
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save

from core import clock
from marketdata.models import Bar as BarRow
from marketdata.models import CorporateAction as ActionRow
from marketdata.models import ImportBatch, Instrument
from marketdata.sources.aggregate import aggregate_days, period_start
from marketdata.sources.base import (
    INTRADAY_PERIODS,
    Bar,
    CorporateAction,
    DataSource,
    InstrumentInfo,
    SourceError,
    SourceHealth,
    SourceUnavailable,
    Tick,
    TickStatus,
    Trade,
    TradingCalendar,
    in_event_loop,
    validate_period,
)
from marketdata.symbols import limit_prices, limit_ratio, tick_size


class PeriodNotAvailable(SourceError):
    """The files hold daily bars only."""

    error_code = "INVALID_PARAMETER"
    http_status = 400


class _DatasetChanged:
    """Counts changes of the imported dataset seen in this process (an import, a corporate action
    saved or deleted), so the version is re-read at once here; other processes within `_VERSION_SECONDS`."""

    def __init__(self) -> None:
        self.generation = 0

    def bump(self, **_: Any) -> None:
        self.generation += 1

    def connect(self) -> None:
        post_save.connect(self.bump, sender=ImportBatch, dispatch_uid="files-dataset-import")
        post_save.connect(self.bump, sender=ActionRow, dispatch_uid="files-dataset-action-save")
        post_delete.connect(self.bump, sender=ActionRow, dispatch_uid="files-dataset-action-delete")


dataset_changed = _DatasetChanged()
_VERSION_SECONDS = 2.0


class FilesSource(DataSource):
    """Imported end-of-day history (Bar and CorporateAction rows)."""

    name: ClassVar[str] = "files"
    end_of_day: ClassVar[bool] = True
    intraday_bars: ClassVar[bool] = False  # /history builds them from recorded ticks

    def __init__(self, *, calendar: TradingCalendar) -> None:
        super().__init__(calendar=calendar)
        self._version: str | None = None
        self._version_read = (-_VERSION_SECONDS, -1)  # (monotonic time, generation) of the last read

    def scope_token(self) -> str:
        """The dataset's version: the last import's id and the corporate actions' count and newest
        change. Re-read at most every 2 s (at once after a change in this process), never in the
        event loop, where the last version read is used (`unknown` before the first: the fast path
        then misses)."""
        read_at, generation = self._version_read
        stale = time.monotonic() - read_at > _VERSION_SECONDS or generation != dataset_changed.generation
        if (self._version is None or stale) and not in_event_loop():
            generation = dataset_changed.generation
            batch = ImportBatch.objects.aggregate(last=Max("id"))["last"]
            actions = ActionRow.objects.aggregate(count=Count("id"), changed=Max("updated_at"))
            changed = actions["changed"].isoformat() if actions["changed"] else "-"
            self._version = f"dataset:{batch or 0}:{actions['count']}:{changed}"
            self._version_read = (time.monotonic(), generation)
        return self._version or "unknown"

    def instruments(self) -> list[InstrumentInfo]:
        """Instruments that have imported bars (their real rows: never the simulated market's)."""
        symbols = BarRow.objects.values("symbol").distinct()
        return [_info(row) for row in Instrument.objects.real().filter(symbol__in=symbols)]

    def latest_ticks(self, symbols: Sequence[str]) -> dict[str, Tick]:
        """The last imported daily bar of each symbol as a snapshot (prev_close from the bar before)."""
        ticks = {}
        instruments = {row.symbol: row for row in Instrument.objects.real().filter(symbol__in=list(symbols))}
        for symbol in symbols:
            last_two = list(BarRow.objects.filter(symbol=symbol, period="1d").order_by("-time")[:2])
            if not last_two:
                continue
            bar = last_two[0]
            # The day before's close, or unknown: a symbol's first bar has none (its open is not one).
            prev = float(last_two[1].close) if len(last_two) > 1 else None
            row = instruments.get(symbol)
            ratio = limit_ratio(row.board, row.kind, is_st=row.is_st, symbol=symbol) if row else None
            tick = tick_size(row.kind) if row else None
            known = prev is not None and ratio is not None and tick is not None
            up, down = limit_prices(prev, ratio, tick) if known else (None, None)  # type: ignore[arg-type]
            ticks[symbol] = Tick(
                symbol=symbol, time=bar.time, trading_day=bar.trading_day, price=float(bar.close),
                open=float(bar.open), high=float(bar.high), low=float(bar.low), prev_close=prev, volume=bar.volume,
                turnover=float(bar.turnover) if bar.turnover is not None else None, bids=(), asks=(),
                limit_up=up, limit_down=down, status=TickStatus.CLOSED,
            )  # fmt: skip
        return ticks

    def latest_day(self) -> date | None:
        """The newest imported trading day (what the feed states as the data's day)."""
        newest: date | None = BarRow.objects.filter(period="1d").aggregate(day=Max("trading_day"))["day"]
        return newest

    def recent_trades(self, symbol: str, *, limit: int = 20) -> list[Trade]:
        """End-of-day files carry no trades."""
        return []

    def bars(self, symbol: str, *, period: str, start: date, end: date) -> list[Bar]:
        """Imported daily bars, or weeks/months aggregated from them."""
        validate_period(period)
        if period in INTRADAY_PERIODS:
            raise PeriodNotAvailable(f"the files source holds daily bars only; ask for 1d, 1w or 1mon, not {period}")
        first = start if period == "1d" else period_start(start, period)
        rows = BarRow.objects.filter(symbol=symbol, period="1d", trading_day__gte=first, trading_day__lte=end)
        days = [_bar(r) for r in rows.order_by("time")]
        if period == "1d":
            return days
        return [bar for bar in aggregate_days(days, period) if bar.trading_day >= start]

    def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        """Imported dividends and splits."""
        return [
            CorporateAction(symbol, r.ex_date, float(r.cash_dividend), float(r.share_ratio))
            for r in ActionRow.objects.filter(symbol=symbol).order_by("ex_date")
        ]

    def health(self) -> SourceHealth:
        """Query the newest imported bar."""
        started = time.perf_counter()
        try:
            newest = BarRow.objects.aggregate(newest=Max("time"))["newest"]
        except DatabaseError as exc:
            raise SourceUnavailable(f"cannot read imported bars: {exc}") from exc
        elapsed = (time.perf_counter() - started) * 1000
        detail = f"newest bar {newest.isoformat()}" if newest else "no bars imported: run `manage.py import_bars`"
        return SourceHealth(newest is not None, detail, elapsed, clock.now(), {"newest": newest})


def _bar(r: BarRow) -> Bar:
    turnover = float(r.turnover) if r.turnover is not None else None
    return Bar(r.symbol, "1d", r.trading_day, r.time, float(r.open), float(r.high), float(r.low), float(r.close),
               r.volume, turnover)  # fmt: skip


def _info(row: Instrument) -> InstrumentInfo:
    return InstrumentInfo(
        row.symbol, row.name, row.full_name, row.board, row.kind, row.industry, row.sector, row.list_date,
        row.total_shares, row.float_shares, is_st=row.is_st, status=row.status,
    )  # fmt: skip
