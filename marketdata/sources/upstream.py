"""The `upstream` data source: every read goes to Argus nodes' REST API through a named pool.

The nodes' JSON is turned back into the frozen dataclasses of marketdata/sources/base.py (by the
codec the nodes encode with, marketdata/sources/codec.py), so the gateway serves, caches and streams
it as if the data were local. Bars come from /history (adjust=none); instruments, whole ticks, trades
and corporate actions from the node-to-node endpoints of marketdata/views/nodes.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.conf import settings

from core import clock
from marketdata.sources.base import (
    Bar,
    CalendarSpan,
    CorporateAction,
    DataSource,
    InstrumentInfo,
    SourceError,
    SourceHealth,
    SourceTimeout,
    SourceUnavailable,
    Tick,
    Trade,
    validate_period,
)
from marketdata.sources.codec import action_decode, instrument_decode, parse_time, tick_decode, trade_decode
from marketdata.symbols import InvalidSymbol, parse_symbol
from pools.runtime import PoolResponse, PoolTimeout, PoolUnavailable
from pools.services import pool_request

TICK_BATCH = 100  # the node endpoints' limits per request (marketdata/selectors/nodes.py)
INSTRUMENT_PAGE = 1000
TRADES_MAX = 1000
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


def _request(pool: str, path: str, **params: Any) -> PoolResponse:
    """One request through the pool; no node answering is this source being unavailable."""
    try:
        return pool_request(name=pool, method="GET", path=path, params=params or None)
    except PoolTimeout as exc:
        raise SourceTimeout(exc.details) from exc
    except PoolUnavailable as exc:
        raise SourceUnavailable(exc.details) from exc


def _valid(symbol: str) -> bool:
    try:
        return parse_symbol(symbol).symbol == symbol
    except InvalidSymbol:
        return False


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
        # What the nodes say of their data (every market-data answer carries source.simulated):
        # a gateway over simulated nodes serves simulated data and must say so.
        self._nodes_simulated: bool | None = None

    def serves_simulated(self) -> bool:
        """True once a node has said its data is simulated (False until a node has answered)."""
        return bool(self._nodes_simulated)

    def scope_token(self) -> str:
        """What the nodes said they serve (the pool itself is an option): a pool whose nodes turn
        from simulated to real, or back, reads and writes other cache keys."""
        said = {None: "unknown", True: "simulated", False: "real"}[self._nodes_simulated]
        return f"nodes:{said}"

    def _get(self, path: str, **params: Any) -> Any:
        response = _request(self.pool, f"/api/v1/market_data/{path}", **params)
        body = response.json()
        if response.status >= 400:
            error = body.get("error") or {}
            code = str(error.get("code") or "SERVICE_UNAVAILABLE")
            raise UpstreamError(code, response.status, f"node {response.node}: {error.get('details') or code}")
        origin = body.get("source")
        if isinstance(origin, dict) and isinstance(origin.get("simulated"), bool):
            self._nodes_simulated = origin["simulated"]
        return body

    def _data(self, path: str, **params: Any) -> Any:
        try:
            return self._get(path, **params)["data"]
        except UpstreamError as exc:
            if exc.error_code == "NOT_FOUND":
                return {}
            raise

    def instruments(self) -> list[InstrumentInfo]:
        infos: list[InstrumentInfo] = []
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": INSTRUMENT_PAGE} | ({"after": after} if after else {})
            page = self._get("instruments", **params)["data"]
            infos.extend(instrument_decode(item) for item in page["instruments"])
            after = page["next"]
            if not after:
                return infos

    def instrument(self, symbol: str) -> InstrumentInfo | None:
        listed = self._get("instruments", symbols=symbol)["data"]["instruments"]
        return instrument_decode(listed[0]) if listed else None

    def latest_ticks(self, symbols: Sequence[str]) -> dict[str, Tick]:
        ticks: dict[str, Any] = {}
        # A malformed symbol cannot be quoted anywhere; the node would refuse the whole batch for it.
        for batch in _chunks([symbol for symbol in symbols if _valid(symbol)], TICK_BATCH):
            ticks.update(self._data("ticks", symbols=",".join(batch)))
        return {symbol: tick_decode(ticks[symbol]) for symbol in symbols if symbol in ticks}

    def recent_trades(self, symbol: str, *, limit: int = 20) -> list[Trade]:
        rows = self._data("trades", symbol=symbol, limit=max(1, min(limit, TRADES_MAX))) or []
        return [trade_decode(symbol, t) for t in rows[:limit]]

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
            moment = parse_time(row["time"])
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
        rows = self._data("corporate_actions", symbols=symbol).get(symbol, [])
        return [action_decode(symbol, a) for a in rows]

    def trading_dates(self, market: str, start: date, end: date) -> list[date]:
        days: list[date] = []
        for first, last in _spans(start, end, CALENDAR_SPAN.days):
            data = self._data("trading_dates", start_date=first.isoformat(), end_date=last.isoformat(), market=market)
            days.extend(date.fromisoformat(text) for text in data.get("trading_dates", []))
        return days

    def own_calendar(self, market: str, after: date) -> CalendarSpan | None:
        """The node's calendar after `after`, to the end of its coverage (its /health details.calendar)."""
        body = _request(self.pool, "/health").json()
        covered = ((body.get("details") or {}).get("calendar") or {}).get("covered_until") or {}
        until = covered.get(market) if isinstance(covered, dict) else None
        if not until or date.fromisoformat(until) <= after:
            return None
        start, end = after + timedelta(days=1), date.fromisoformat(until)
        days = frozenset(self.trading_dates(market, start, end))
        return CalendarSpan(f"upstream node ({self.pool})", start, end, days)

    def health(self) -> SourceHealth:
        """A node's /health through the pool: healthy when one answers with a healthy data source."""
        started = time.perf_counter()
        checked = clock.now()
        try:
            response = _request(self.pool, "/health")
            body = response.json()
        except SourceError as exc:
            return SourceHealth(False, exc.details, (time.perf_counter() - started) * 1000, checked)
        source = (body.get("services") or {}).get("xtquant")
        ok = response.status == 200 and source == "healthy"
        detail = f"pool {self.pool}: node {response.node} status={body.get('status')}, source={source}"
        return SourceHealth(ok, detail, response.elapsed_ms, checked, {"node": response.node})
