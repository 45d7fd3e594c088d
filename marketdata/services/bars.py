"""Import daily bars from CSV or Parquet files into the Bar table (the `files` source's data)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
from django.db import transaction

from core import clock
from marketdata.calendar import db_calendar
from marketdata.models import Bar, CorporateAction, ImportBatch, Instrument, InstrumentStatus
from marketdata.sessions import AFTERNOON, exchange_moment
from marketdata.symbols import InvalidSymbol, Kind, limit_prices_decimal, limit_ratio, parse_symbol, tick_size

logger = logging.getLogger("argus.marketdata")

REQUIRED = ("date", "open", "high", "low", "close", "volume")
OPTIONAL = ("amount", "turnover")  # CNY traded; either name


class BarsImportError(Exception):
    """The import found problems; nothing was written. `problems` are 'file:line: what to fix'."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing imported:\n" + "\n".join(problems))
        self.problems = problems


@dataclass
class _Parsed:
    symbol: str
    path: Path
    rows: list[Bar] = field(default_factory=list)


def bars_import(
    paths: list[Path], *, symbol: str | None = None, period: str = "1d", allow_limit_breach: str | None = None
) -> dict[str, int]:
    """Validate every file, then write all bars in one transaction; any problem writes nothing.

    Refused, each as `file:line: what to fix`: unreadable numbers (named by column and value), a
    date that has not closed yet (`core.clock`), fractional volumes, prices off the instrument's
    tick grid, dates before its listing, and a close outside its board's daily limit from the
    previous close (the file's bar before, or the one already imported) unless `allow_limit_breach`
    gives the reason (an IPO's first days, trading resumed after a long suspension, an ex-rights
    day whose corporate action is not imported).
    """
    if period != "1d":
        raise BarsImportError([f"--period {period}: only daily bars (1d) can be imported"])
    if allow_limit_breach is not None and not allow_limit_breach.strip():
        raise BarsImportError(["--allow-limit-breach: give the reason, e.g. --allow-limit-breach 'IPO days'"])
    if not db_calendar.market("SH").days:
        raise BarsImportError(["the trading calendar is empty: run `python manage.py load_reference_data` first"])
    problems: list[str] = []
    parsed = [_parse_file(Path(p), symbol, problems, check_limits=allow_limit_breach is None) for p in paths]
    if problems:
        raise BarsImportError(problems)
    counts: dict[str, int] = {}
    with transaction.atomic():
        for item in parsed:
            if item is None:
                continue
            _ensure_instrument(item.symbol)
            Bar.objects.bulk_create(
                item.rows,
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["symbol", "period", "time"],
                update_fields=["trading_day", "open", "high", "low", "close", "volume", "turnover", "source_file"],
            )
            counts[item.symbol] = counts.get(item.symbol, 0) + len(item.rows)
        ImportBatch.objects.create(
            imported_at=clock.now(),
            files=[Path(p).name for p in paths],
            counts=counts,
            limit_breach_reason=(allow_limit_breach or "").strip()[:200],
        )
    if allow_limit_breach is not None:
        logger.warning("bars imported without the daily-limit check, because: %s", allow_limit_breach.strip())
    logger.info("bars imported: %s", counts)
    return counts


@dataclass(frozen=True, slots=True)
class _Rules:
    """What a symbol's bars must respect: its tick grid, daily limit and listing date."""

    symbol: str
    market: str
    board: str
    tick: Decimal | None
    ratio: Decimal | None
    list_date: date | None
    today: date
    closed_today: bool


def _rules(symbol: str) -> _Rules:
    info = parse_symbol(symbol)
    # The listing date and ST flag of a row some real source (or an operator) wrote; the simulated
    # market's rows are invented and must not judge real bars.
    row = Instrument.objects.real().filter(symbol=symbol).first()
    now = clock.shanghai_now()
    return _Rules(
        symbol=symbol,
        market=info.market,
        board=f"{info.board} ETF" if info.kind == Kind.ETF else str(info.board),
        tick=tick_size(info.kind),
        ratio=limit_ratio(info.board, info.kind, is_st=bool(row and row.is_st), symbol=symbol),
        list_date=row.list_date if row else None,
        today=now.date(),
        closed_today=now.time() >= AFTERNOON[1],
    )


def _parse_file(path: Path, symbol: str | None, problems: list[str], *, check_limits: bool) -> _Parsed | None:
    name = path.name
    try:
        frame = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path, dtype=str)
    except (OSError, ValueError) as exc:
        problems.append(f"{name}: cannot read ({exc})")
        return None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    for column in frame.columns:
        if column not in REQUIRED + OPTIONAL:
            problems.append(f"{name}:1: unknown column {column!r}; expected {', '.join(REQUIRED + OPTIONAL)}")
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        problems.append(f"{name}:1: missing column(s) {', '.join(missing)}")
    text = symbol or name.split("_", 1)[0].removesuffix(path.suffix)
    try:
        info = parse_symbol(text)
    except InvalidSymbol as exc:
        problems.append(f"{name}: no symbol ({exc}); name the file like 000001.SZ_daily.csv or pass --symbol")
        return None
    if missing:
        return None
    rules = _rules(info.symbol)
    parsed = _Parsed(info.symbol, path)
    seen: dict[date, int] = {}
    lines: dict[date, str] = {}
    offset = 2 if path.suffix.lower() != ".parquet" else 1  # CSV: line 1 is the header
    for number, record in enumerate(frame.to_dict("records"), start=offset):
        where = f"{name}:{number}" if offset == 2 else f"{name}: row {number}"
        bar = _parse_row(record, rules, where, problems)
        if bar is None:
            continue
        if bar.trading_day in seen:
            problems.append(f"{where}: duplicate date {bar.trading_day} (first on line {seen[bar.trading_day]})")
            continue
        seen[bar.trading_day] = number
        lines[bar.trading_day] = where
        bar.source_file = name
        parsed.rows.append(bar)
    if check_limits and rules.ratio is not None and parsed.rows:
        _check_limits(parsed.rows, rules, lines, problems)
    return parsed


def _check_limits(rows: list[Bar], rules: _Rules, lines: dict[date, str], problems: list[str]) -> None:
    """Each close within prev_close x (1 ± ratio), rounded half up to the tick as the exchanges do.

    On an ex-date with a known corporate action the base is the ex-rights reference price."""
    assert rules.ratio is not None
    ordered = sorted(rows, key=lambda bar: bar.trading_day)
    before = (
        Bar.objects.filter(symbol=rules.symbol, period="1d", trading_day__lt=ordered[0].trading_day)
        .order_by("-trading_day")
        .first()
    )
    actions = {
        a.ex_date: a for a in CorporateAction.objects.filter(symbol=rules.symbol, ex_date__gte=ordered[0].trading_day)
    }
    prev: Decimal | None = before.close if before is not None else None
    tick = rules.tick or Decimal("0.01")
    percent = f"{rules.ratio * 100:.0f}%"
    for bar in ordered:
        if prev is not None:
            base = prev
            action = actions.get(bar.trading_day)
            if action is not None:
                base = (prev - action.cash_dividend) / (1 + action.share_ratio)
            up, down = limit_prices_decimal(base, rules.ratio, tick)
            if not down <= bar.close <= up:
                problems.append(
                    f"{lines[bar.trading_day]}: close {_on_grid(bar.close, tick)} is outside the daily limit of "
                    f"{rules.board} (±{percent}: {down} to {up} after the previous close {_on_grid(base, tick)}); "
                    "if the day is real (IPO days, trading resumed, an ex-rights day whose corporate action "
                    "is not imported), import with --allow-limit-breach REASON"
                )
        prev = bar.close


def _parse_row(record: dict[str, Any], rules: _Rules, where: str, problems: list[str]) -> Bar | None:
    errors: list[str] = []
    try:
        day = _date(record["date"])
    except ValueError as exc:
        errors.append(str(exc))
        day = None
    numbers: dict[str, Decimal | None] = {}
    for column in ("open", "high", "low", "close", "volume", "amount", "turnover"):
        if column not in record:
            continue
        raw = record[column]
        blank = raw is None or (not isinstance(raw, str) and pd.isna(raw)) or str(raw).strip() == ""
        if blank and column in OPTIONAL:
            numbers[column] = None
            continue
        number = _number(raw)
        if number is None:
            errors.append(f"{column} {_shown(raw)} is not a number")
        numbers[column] = number
    if errors:
        problems.append(f"{where}: " + "; ".join(errors))
        return None
    assert day is not None
    o, h, low, c, shares = (numbers[k] for k in ("open", "high", "low", "close", "volume"))
    assert o is not None and h is not None and low is not None and c is not None and shares is not None
    turnover = numbers.get("amount", numbers.get("turnover"))
    if min(o, h, low, c) <= 0 or shares < 0:
        errors.append("prices must be positive and volume not negative")
    if shares != shares.to_integral_value():
        errors.append(f"volume {_plain(shares)} is not a whole number of shares")
    if rules.tick is not None:
        for column, price in (("open", o), ("high", h), ("low", low), ("close", c)):
            if price % rules.tick:
                errors.append(f"{column} {_plain(price)} is off the {rules.tick} price grid of {rules.symbol}")
    if not low <= min(o, c) <= max(o, c) <= h:
        errors.append("needs low <= open, close <= high")
    if day > rules.today:
        errors.append(f"{day} is in the future (today is {rules.today} in Shanghai)")
    elif day == rules.today and not rules.closed_today:
        errors.append(f"{day} has not closed yet (its bar is complete after 15:00 Shanghai time)")
    elif not db_calendar.is_trading_day(rules.market, day):
        errors.append(f"{day} is not a {rules.market} trading day")
    if rules.list_date is not None and day < rules.list_date:
        errors.append(f"{day} is before {rules.symbol} was listed ({rules.list_date})")
    if errors:
        problems.append(f"{where}: " + "; ".join(errors))
        return None
    return Bar(symbol=rules.symbol, period="1d", trading_day=day, time=exchange_moment(day, AFTERNOON[1]),
               open=_stored(o), high=_stored(h), low=_stored(low), close=_stored(c), volume=int(shares),
               turnover=turnover)  # fmt: skip


def _date(value: Any) -> date:
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC).date()
        except ValueError:
            continue
    raise ValueError(f"date {text!r} is not YYYY-MM-DD")


def _number(value: Any) -> Decimal | None:
    """A finite decimal, or None when the text is no number (Parquet's floats read as their shortest text)."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def _shown(value: Any) -> str:
    return repr(str(value).strip())


def _plain(number: Decimal) -> str:
    return str(number)  # as written in the file (Decimal keeps "52.0")


def _on_grid(price: Decimal, tick: Decimal) -> str:
    """A price at its tick's decimals when it sits on the grid, else at the stored 4 decimals."""
    return str(price.quantize(tick)) if not price % tick else f"{price:.4f}"


def _stored(price: Decimal) -> Decimal:
    return price.quantize(Decimal("0.0001"))


def _ensure_instrument(symbol: str) -> None:
    """The symbol's row for the files source: created named by its symbol when missing; a row the
    simulated market left is taken over and cleared (its name, shares and industry are invented, and
    the files say nothing of them); a real row (another real source's, an operator's) is kept."""
    info = parse_symbol(symbol)
    own = {"name": symbol, "full_name": "", "market": info.market, "board": info.board, "kind": info.kind,
           "industry": "", "sector": "", "list_date": None, "total_shares": None, "float_shares": None,
           "is_st": False, "status": InstrumentStatus.LISTED, "source": "files", "simulated": False}  # fmt: skip
    row, created = Instrument.objects.get_or_create(symbol=symbol, defaults=own)
    if not created and row.simulated:
        for name, value in own.items():
            setattr(row, name, value)
        row.save()
