"""Price adjustment (复权) from the source's corporate actions, deterministic for any window.

Each ex-date gets a ratio `prev_close * (1 + share_ratio) / (prev_close - cash_dividend)`, where
prev_close is the last daily close before the ex-date; the post (后复权) factor of a bar is the
product of the ratios of every ex-date on or before its trading day (1.0 before the first one),
and the pre (前复权) factor is that divided by the latest cumulative factor. So the same bar always
gets the same adjusted price whatever window is asked: pre is anchored to the latest ex-date,
not to end_date. Without a close before an ex-date the cash part cannot be priced and the ratio
is the share part alone.

`as_seen_on(day)` keeps the factors known on that day (ex-dates up to it): 前复权 anchored there, as a
backtest run on that day saw it, reproducible later; `digest()` names the factors used.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from cachemgr.keys import adjust_factors_key
from cachemgr.services import cache_fetch
from marketdata.selectors.common import from_source
from marketdata.sources.base import CorporateAction, DataSource


@dataclass(frozen=True, slots=True)
class Factors:
    """Cumulative post factors from each ex-date on (sorted), with lookups for a trading day."""

    ex_dates: tuple[date, ...]
    cumulative: tuple[float, ...]

    def post(self, day: date) -> float:
        index = bisect.bisect_right(self.ex_dates, day)
        return self.cumulative[index - 1] if index else 1.0

    def pre(self, day: date) -> float:
        latest = self.cumulative[-1] if self.cumulative else 1.0
        return self.post(day) / latest

    def factor(self, adjust: str, day: date) -> float:
        if adjust == "pre":
            return self.pre(day)
        if adjust == "post":
            return self.post(day)
        return 1.0

    def as_seen_on(self, day: date) -> Factors:
        """Only the ex-dates on or before `day` (what was known then)."""
        index = bisect.bisect_right(self.ex_dates, day)
        return Factors(self.ex_dates[:index], self.cumulative[:index])

    def digest(self) -> str | None:
        """A short hash of the factors (ex-dates and cumulative factors), None when there are none."""
        if not self.ex_dates:
            return None
        pairs = zip(self.ex_dates, self.cumulative, strict=True)
        text = ";".join(f"{day.isoformat()}={value:.12g}" for day, value in pairs)
        return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()

    def anchor(self, adjust: str) -> str | None:
        """pre: the latest ex-date (bars from it on are as traded); post: the first (bars before it are)."""
        if not self.ex_dates or adjust == "none":
            return None
        return (self.ex_dates[-1] if adjust == "pre" else self.ex_dates[0]).isoformat()


def _ratio(source: DataSource, action: CorporateAction) -> float:
    share = 1.0 + action.share_ratio
    if not action.cash_dividend:
        return share
    before = from_source(
        source,
        f"daily bars of {action.symbol} before ex-date {action.ex_date}",
        lambda: source.bars(
            action.symbol,
            period="1d",
            start=action.ex_date - timedelta(days=30),
            end=action.ex_date - timedelta(days=1),
        ),
    )
    prev_close = before[-1].close if before else None
    if prev_close is None or prev_close <= action.cash_dividend:
        return share
    return prev_close * share / (prev_close - action.cash_dividend)


def _load(source: DataSource, symbol: str) -> dict[str, list[str] | list[float]]:
    actions = from_source(source, f"corporate actions of {symbol}", lambda: source.corporate_actions(symbol))
    ex_dates: list[str] = []
    cumulative: list[float] = []
    running = 1.0
    for action in sorted(actions, key=lambda item: item.ex_date):
        running *= _ratio(source, action)
        ex_dates.append(action.ex_date.isoformat())
        cumulative.append(running)
    return {"ex_dates": ex_dates, "cumulative": cumulative}


def adjustment_factors(*, source: DataSource, symbol: str, use_cache: bool = True) -> Factors:
    """The symbol's cumulative adjustment factors (cached under BASIC_INFO: actions change rarely)."""
    raw = cache_fetch(
        "BASIC_INFO", adjust_factors_key(symbol), lambda: _load(source, symbol), use_cache=use_cache
    ).value
    return Factors(
        ex_dates=tuple(date.fromisoformat(str(day)) for day in raw["ex_dates"]),
        cumulative=tuple(float(value) for value in raw["cumulative"]),
    )
