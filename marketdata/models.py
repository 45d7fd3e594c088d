"""Reference data: instruments, the trading calendar, and imported bars and corporate actions."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from marketdata.symbols import Board, InvalidSymbol, Kind, Market, limit_ratio, parse_symbol


def validate_symbol(value: str) -> None:
    try:
        info = parse_symbol(value)
    except InvalidSymbol as exc:
        raise ValidationError(str(exc)) from exc
    if info.symbol != value:
        raise ValidationError(f"write the symbol as {info.symbol}")


class InstrumentStatus(models.TextChoices):
    LISTED = "listed", "上市"
    SUSPENDED = "suspended", "停牌"
    DELISTED = "delisted", "退市"


class InstrumentQuerySet(models.QuerySet["Instrument"]):
    def listed(self) -> InstrumentQuerySet:
        return self.exclude(status=InstrumentStatus.DELISTED)

    def real(self) -> InstrumentQuerySet:
        """Rows a real source or an operator wrote: what a source that is not simulated may serve."""
        return self.filter(simulated=False)

    def served_to(self, *, simulated: bool) -> InstrumentQuerySet:
        """The rows a source may serve: a simulated one sees every row, a real one only real rows
        (the simulated market's names and figures are invented)."""
        return self if simulated else self.real()

    def stocks(self) -> InstrumentQuerySet:
        return self.filter(kind=Kind.STOCK)

    def matching(self, text: str) -> InstrumentQuerySet:
        """Code or name fragment: `平安` or `000001`."""
        return self.filter(Q(symbol__istartswith=text) | Q(name__icontains=text) | Q(full_name__icontains=text))


class Instrument(models.Model):
    symbol = models.CharField(max_length=9, unique=True, validators=[validate_symbol])
    name = models.CharField(max_length=32, db_index=True)
    full_name = models.CharField(max_length=128, blank=True)
    market = models.CharField(max_length=2, choices=Market.choices)
    board = models.CharField(max_length=8, choices=Board.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.STOCK)
    industry = models.CharField(max_length=32, blank=True)
    sector = models.CharField(max_length=32, blank=True)
    list_date = models.DateField(null=True, blank=True)
    total_shares = models.BigIntegerField(null=True, blank=True)
    float_shares = models.BigIntegerField(null=True, blank=True)
    is_st = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=InstrumentStatus.choices, default=InstrumentStatus.LISTED)
    source = models.CharField(max_length=32, help_text="the data source that provided this row")
    simulated = models.BooleanField(
        default=False, help_text="written by a simulated source: its names and figures are invented"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = InstrumentQuerySet.as_manager()

    class Meta:
        ordering = ["symbol"]
        indexes = [models.Index(fields=["market", "board"]), models.Index(fields=["kind", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(float_shares__isnull=True)
                | Q(total_shares__isnull=True)
                | Q(float_shares__lte=models.F("total_shares")),
                name="instrument_float_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.name}"

    @property
    def limit_ratio(self) -> Decimal | None:
        return limit_ratio(self.board, self.kind, is_st=self.is_st, symbol=self.symbol)


class TradingDay(models.Model):
    """A day on which a market trades, as merged by `calendar_sync` from its layers (see CalendarOverride)."""

    market = models.CharField(max_length=2, choices=Market.choices)
    date = models.DateField()
    # The layer that decided this day (exchange-calendars, the data source, an upstream node, a holiday import).
    source = models.CharField(max_length=80, default="exchange-calendars")

    class Meta:
        ordering = ["market", "date"]
        constraints = [models.UniqueConstraint(fields=["market", "date"], name="trading_day_unique")]

    def __str__(self) -> str:
        return f"{self.market} {self.date}"


class CalendarCoverage(models.Model):
    """The span a market's calendar is known for: outside it no day is claimed open or closed."""

    market = models.CharField(max_length=2, choices=Market.choices, unique=True)
    start = models.DateField()
    end = models.DateField()
    source = models.CharField(max_length=200)
    synced_at = models.DateTimeField()

    class Meta:
        ordering = ["market"]
        verbose_name_plural = "calendar coverage"

    def __str__(self) -> str:
        return f"{self.market} {self.start}..{self.end} ({self.source})"


class HolidayImport(models.Model):
    """One year of an exchange's published holiday notice, imported by `manage.py import_holidays`.

    The year's trading days are its weekdays minus `closed` (the exchanges do not trade at weekends);
    `calendar_sync` lays it over the package's and the data source's calendars, extending coverage.
    """

    market = models.CharField(max_length=2, choices=Market.choices)
    year = models.PositiveSmallIntegerField()
    closed = models.JSONField(default=list)  # ISO dates of the weekdays the market is closed
    source = models.CharField(max_length=200)  # the file it came from
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-year", "market"]
        constraints = [models.UniqueConstraint(fields=["market", "year"], name="holiday_import_unique")]

    def __str__(self) -> str:
        return f"{self.market} {self.year}: {len(self.closed)} closed weekdays ({self.source})"


class CalendarOverride(models.Model):
    """An operator's correction: a date the package gets wrong or does not cover."""

    market = models.CharField(max_length=2, choices=Market.choices)
    date = models.DateField()
    is_trading = models.BooleanField()
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "market"]
        constraints = [models.UniqueConstraint(fields=["market", "date"], name="calendar_override_unique")]

    def __str__(self) -> str:
        state = "open" if self.is_trading else "closed"
        return f"{self.market} {self.date} {state}"


class Bar(models.Model):
    """An imported bar (the `files` source). Prices as exchanged, unadjusted; volume in shares."""

    symbol = models.CharField(max_length=9, validators=[validate_symbol])
    period = models.CharField(max_length=4)
    trading_day = models.DateField()
    time = models.DateTimeField(help_text="bar end, UTC")
    open = models.DecimalField(max_digits=14, decimal_places=4)
    high = models.DecimalField(max_digits=14, decimal_places=4)
    low = models.DecimalField(max_digits=14, decimal_places=4)
    close = models.DecimalField(max_digits=14, decimal_places=4)
    volume = models.BigIntegerField()
    turnover = models.DecimalField(max_digits=22, decimal_places=2, null=True, blank=True)
    source_file = models.CharField(max_length=255)

    class Meta:
        ordering = ["symbol", "period", "time"]
        constraints = [
            models.UniqueConstraint(fields=["symbol", "period", "time"], name="bar_unique"),
            models.CheckConstraint(condition=Q(low__lte=models.F("high")), name="bar_low_le_high"),
        ]
        indexes = [models.Index(fields=["symbol", "period", "trading_day"])]

    def __str__(self) -> str:
        return f"{self.symbol} {self.period} {self.trading_day}"


class CorporateAction(models.Model):
    """A cash dividend and/or bonus-share split taking effect on `ex_date` (per share)."""

    symbol = models.CharField(max_length=9, validators=[validate_symbol])
    ex_date = models.DateField()
    cash_dividend = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal(0))
    share_ratio = models.DecimalField(
        max_digits=12, decimal_places=6, default=Decimal(0), help_text="new shares per share held (10送3 = 0.3)"
    )
    source = models.CharField(max_length=32)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["symbol", "ex_date"]
        constraints = [models.UniqueConstraint(fields=["symbol", "ex_date"], name="corporate_action_unique")]

    def __str__(self) -> str:
        return f"{self.symbol} {self.ex_date}"


class ImportBatch(models.Model):
    """One `import_bars` run that wrote bars: its id is the files dataset's version (cache scope)."""

    imported_at = models.DateTimeField()
    files = models.JSONField(help_text="the file names imported")
    counts = models.JSONField(help_text="bars written per symbol")
    limit_breach_reason = models.CharField(
        max_length=200, blank=True, help_text="why closes outside the daily limit were accepted, if they were"
    )

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"import {self.pk} at {self.imported_at:%Y-%m-%d %H:%M}"
