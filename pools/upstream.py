"""The `upstream` data source: every read goes to Argus nodes' REST API through a named pool.

The nodes' JSON is turned back into the frozen dataclasses of marketdata/sources/base.py, so the
gateway serves, caches and streams it as if the data were local. Bars are asked unadjusted
(adjust=none) and books at depth 20; what the REST API does not carry is listed in the README.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.conf import settings

from marketdata.sources.base import (
    Bar,
    CorporateAction,
    DataSource,
    InstrumentInfo,
    Level,
    SourceError,
    SourceHealth,
    SourceUnavailable,
    Tick,
    Trade,
    validate_period,
)
from pools.services import pool_request

LATEST_BATCH = 100  # the REST API's symbol limits per request
FULL_BATCH = 20
INSTRUMENT_BATCH = 50
CALENDAR_SPAN = timedelta(days=3000)
# History is paged by date so a page stays under the node's row cap (trading days <= calendar days).
HISTORY_SPAN_DAYS = {"1m": 40, "5m": 200, "15m": 600, "30m": 1200, "1h": 2400}
DAILY_SPAN_DAYS = 15000
DAILY_PERIODS = ("1d", "1w", "1mon")


class UpstreamError(SourceError):
    """A node refused the request (4xx): its error code and details, passed on."""

    def __init__(self, code: str, status: int, details: str) -> None:
        super().__init__(details)
        self.error_code = code
        self.http_status = status


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _spans(start: date, end: date, days: int) -> Iterator[tuple[date, date]]:
    while start <= end:
        stop = min(end, start + timedelta(days=days - 1))
        yield start, stop
        start = stop + timedelta(days=1)


class UpstreamSource(DataSource):
    """Market data from upstream Argus nodes (e.g. the Windows node beside MiniQMT) through a pool."""

    name: ClassVar[str] = "upstream"

    def __init__(self, *, pool: str, **options: Any) -> None:
        super().__init__(**options)
        self.pool = pool
        self.exchange_tz = ZoneInfo(settings.ARGUS_EXCHANGE_TZ)

    def _get(self, path: str, **params: Any) -> Any:
        response = pool_request(name=self.pool, method="GET", path=f"/api/v1/market_data/{path}", params=params)
        body = response.json()
        if response.status >= 400:
            error = body.get("error") or {}
            code = str(error.get("code") or "SERVICE_UNAVAILABLE")
            raise UpstreamError(code, response.status, f"node {response.node}: {error.get('details') or code}")
        return body

    def _data(self, path: str, **params: Any) -> Any:
        try:
            return self._get(path, **params)["data"]
        except UpstreamError as exc:
            if exc.error_code == "NOT_FOUND":
                return {}
            raise

    def instruments(self) -> list[InstrumentInfo]:
        raise SourceUnavailable(
            "upstream nodes have no endpoint that lists every instrument; load reference data on the gateway "
            "from the nodes' database, or ask for instruments by symbol"
        )

    def instrument(self, symbol: str) -> InstrumentInfo | None:
        detail = self._data("instrument_detail", symbols=symbol).get(symbol)
        return self._instrument(detail) if detail else None

    def _instrument(self, d: dict[str, Any]) -> InstrumentInfo:
        return InstrumentInfo(
            symbol=d["symbol"],
            name=d["name"],
            full_name=d.get("full_name") or d["name"],
            board=d.get("market") or "",
            kind=d.get("kind") or "stock",
            industry=d.get("industry") or "",
            sector=d.get("sector") or "",
            list_date=date.fromisoformat(d["list_date"]) if d.get("list_date") else None,
            total_shares=d.get("total_shares"),
            float_shares=d.get("float_shares"),
            pe_ratio=d.get("pe_ratio"),
            pb_ratio=d.get("pb_ratio"),
            dividend_yield=d.get("dividend_yield"),
        )

    def latest_ticks(self, symbols: Sequence[str]) -> dict[str, Tick]:
        quotes: dict[str, Any] = {}
        for batch in _chunks(symbols, LATEST_BATCH):
            quotes.update(self._data("latest", symbols=",".join(batch)))
        books: dict[str, Any] = {}
        for batch in _chunks([s for s in symbols if s in quotes], FULL_BATCH):
            books.update(self._data("full", symbols=",".join(batch), fields="orderbook", depth=20))
        return {symbol: self._tick(quotes[symbol], books.get(symbol, {})) for symbol in symbols if symbol in quotes}

    def _tick(self, q: dict[str, Any], full: dict[str, Any]) -> Tick:
        moment = _time(q["timestamp"])
        book = full.get("orderbook") or {"bids": [], "asks": []}
        return Tick(
            symbol=q["symbol"],
            time=moment,
            trading_day=moment.astimezone(self.exchange_tz).date(),
            price=q["price"],
            open=q["open"],
            high=q["high"],
            low=q["low"],
            prev_close=q["prev_close"],
            volume=q["volume"],
            turnover=q["turnover"],
            bids=tuple(Level(level["price"], level["volume"]) for level in book["bids"]),
            asks=tuple(Level(level["price"], level["volume"]) for level in book["asks"]),
        )

    def recent_trades(self, symbol: str, *, limit: int = 20) -> list[Trade]:
        full = self._data("full", symbols=symbol, fields="trades").get(symbol) or {}
        return [
            Trade(symbol, _time(t["timestamp"]), t["price"], t["volume"], t["direction"])
            for t in (full.get("trades") or [])[:limit]
        ]

    def bars(self, symbol: str, *, period: str, start: date, end: date) -> list[Bar]:
        validate_period(period)
        span = DAILY_SPAN_DAYS if period in DAILY_PERIODS else HISTORY_SPAN_DAYS[period]
        bars: list[Bar] = []
        for first, last in _spans(start, end, span):
            rows = self._data(
                "history",
                symbols=symbol,
                start_date=first.isoformat(),
                end_date=last.isoformat(),
                period=period,
                adjust="none",
            ).get(symbol, [])
            bars.extend(self._bar(symbol, period, row) for row in rows)
        return bars

    def _bar(self, symbol: str, period: str, row: dict[str, Any]) -> Bar:
        day = date.fromisoformat(row["date"])
        if "time" in row:
            moment = _time(row["time"])
        else:  # daily and longer bars end at the 15:00 close
            moment = datetime(day.year, day.month, day.day, 15, tzinfo=self.exchange_tz).astimezone(UTC)
        return Bar(
            symbol,
            period,
            day,
            moment,
            row["open"],
            row["high"],
            row["low"],
            row["close"],
            row["volume"],
            row["turnover"],
        )

    def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        raise SourceUnavailable(
            "upstream nodes have no corporate-actions endpoint, so the gateway cannot adjust prices itself; "
            "ask for adjust=none"
        )

    def trading_dates(self, market: str, start: date, end: date) -> list[date]:
        days: list[date] = []
        for first, last in _spans(start, end, CALENDAR_SPAN.days):
            data = self._data("trading_dates", start_date=first.isoformat(), end_date=last.isoformat(), market=market)
            days.extend(date.fromisoformat(text) for text in data.get("trading_dates", []))
        return days

    def health(self) -> SourceHealth:
        """A node's /health through the pool: healthy when one answers with a healthy data source."""
        started = time.perf_counter()
        checked = datetime.now(UTC)
        try:
            response = pool_request(name=self.pool, method="GET", path="/health")
            body = response.json()
        except SourceError as exc:
            return SourceHealth(False, exc.details, (time.perf_counter() - started) * 1000, checked)
        source = (body.get("services") or {}).get("xtquant")
        ok = response.status == 200 and source == "healthy"
        detail = f"pool {self.pool}: node {response.node} status={body.get('status')}, source={source}"
        return SourceHealth(ok, detail, response.elapsed_ms, checked, {"node": response.node})
