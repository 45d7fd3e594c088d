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

from marketdata.calendar import db_calendar
from marketdata.models import Bar, Instrument
from marketdata.sessions import AFTERNOON, exchange_moment
from marketdata.symbols import InvalidSymbol, parse_symbol

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


def bars_import(paths: list[Path], *, symbol: str | None = None, period: str = "1d") -> dict[str, int]:
    """Validate every file, then write all bars in one transaction; any problem writes nothing."""
    if period != "1d":
        raise BarsImportError([f"--period {period}: only daily bars (1d) can be imported"])
    if not db_calendar.market("SH").days:
        raise BarsImportError(["the trading calendar is empty: run `python manage.py load_reference_data` first"])
    problems: list[str] = []
    parsed = [_parse_file(Path(p), symbol, problems) for p in paths]
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
    logger.info("bars imported: %s", counts)
    return counts


def _parse_file(path: Path, symbol: str | None, problems: list[str]) -> _Parsed | None:
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
    parsed = _Parsed(info.symbol, path)
    seen: dict[date, int] = {}
    offset = 2 if path.suffix.lower() != ".parquet" else 1  # CSV: line 1 is the header
    for number, record in enumerate(frame.to_dict("records"), start=offset):
        where = f"{name}:{number}" if offset == 2 else f"{name}: row {number}"
        bar = _parse_row(record, info.symbol, info.market, where, problems)
        if bar is None:
            continue
        if bar.trading_day in seen:
            problems.append(f"{where}: duplicate date {bar.trading_day} (first on line {seen[bar.trading_day]})")
            continue
        seen[bar.trading_day] = number
        bar.source_file = name
        parsed.rows.append(bar)
    return parsed


def _parse_row(record: dict[str, Any], symbol: str, market: str, where: str, problems: list[str]) -> Bar | None:
    try:
        day = _date(record["date"])
        o, h, low, c = (_price(record[k]) for k in ("open", "high", "low", "close"))
        volume = int(Decimal(str(record["volume"]).strip()))
        raw = record.get("amount", record.get("turnover"))
        turnover = None if raw is None or pd.isna(raw) or str(raw).strip() == "" else Decimal(str(raw).strip())
    except (ValueError, InvalidOperation, TypeError) as exc:
        problems.append(f"{where}: bad row {dict(record)} ({exc})")
        return None
    errors = []
    if min(o, h, low, c) <= 0 or volume < 0:
        errors.append("prices must be positive and volume not negative")
    if not low <= min(o, c) <= max(o, c) <= h:
        errors.append("needs low <= open, close <= high")
    if not db_calendar.is_trading_day(market, day):
        errors.append(f"{day} is not a {market} trading day")
    if errors:
        problems.append(f"{where}: " + "; ".join(errors))
        return None
    return Bar(symbol=symbol, period="1d", trading_day=day, time=exchange_moment(day, AFTERNOON[1]), open=o, high=h,
               low=low, close=c, volume=volume, turnover=turnover)  # fmt: skip


def _date(value: Any) -> date:
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC).date()
        except ValueError:
            continue
    raise ValueError(f"date {text!r} is not YYYY-MM-DD")


def _price(value: Any) -> Decimal:
    price = Decimal(str(value).strip())
    if not price.is_finite():
        raise ValueError(f"price {value!r} is not a number")
    return price.quantize(Decimal("0.0001"))


def _ensure_instrument(symbol: str) -> None:
    info = parse_symbol(symbol)
    Instrument.objects.get_or_create(
        symbol=symbol,
        defaults={"name": symbol, "market": info.market, "board": info.board, "kind": info.kind, "source": "files"},
    )
