"""The `xtquant` source: MiniQMT's `xtquant.xtdata`, imported lazily here and nowhere else.

`import xtquant` checks for updates over the network when `requests` is installed, and the native
parts exist only on Windows, so the import and `connect()` happen on the first real call, never at
construction: `load_source` works on any machine and `health()` reports why it cannot connect.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time as clock
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import date, timedelta
from types import ModuleType
from typing import Any, ClassVar

from core import clock as core_clock
from marketdata.sessions import shanghai
from marketdata.sources.aggregate import aggregate_days, period_start
from marketdata.sources.base import (
    Bar,
    CalendarSpan,
    CorporateAction,
    DataSource,
    InstrumentInfo,
    SourceHealth,
    SourceTimeout,
    Tick,
    Trade,
    TradingCalendar,
    XtQuantUnavailable,
    validate_period,
)
from marketdata.sources.xtquant import convert
from marketdata.symbols import price_digits

logger = logging.getLogger("argus.marketdata")

MARKETS = ("SH", "SZ", "BJ")
# Our period -> xtdata's; 1w/1mon are aggregated from 1d so every source stamps them alike.
XT_PERIODS = {"1m": "1m", "5m": "5m", "15m": "15m", "30m": "30m", "1h": "1h", "1d": "1d"}
PROBE_SYMBOL = "000001.SZ"
CALL_WORKERS = 8  # xtdata calls in flight at once (hung ones included)
INSTRUMENTS_TTL = 3600.0


class XtQuantSubscription:
    """A whole-quote subscription; `close()` unsubscribes (once)."""

    def __init__(self, xtdata: ModuleType, seq: int) -> None:
        self._xtdata, self.seq, self.closed = xtdata, seq, False

    def close(self) -> None:
        """Unsubscribe from MiniQMT."""
        if not self.closed:
            self.closed = True
            self._xtdata.unsubscribe_quote(self.seq)

    def __enter__(self) -> XtQuantSubscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class XtQuantSource(DataSource):
    """MiniQMT level-1 data through xtquant.xtdata (Windows, beside MiniQMT)."""

    name: ClassVar[str] = "xtquant"

    def __init__(self, *, calendar: TradingCalendar, host: str = "localhost", port: int = 58610,
                 user_id: str = "", timeout: float = 10.0) -> None:  # fmt: skip
        super().__init__(calendar=calendar)
        self.timeout = float(timeout)
        # xtdata calls block in C; each runs in this bounded pool so a hung MiniQMT answers 504
        # TIMEOUT after `timeout` instead of holding the request's thread for ever. Calls that
        # hang keep their worker; when all are stuck, new calls time out at once, in bounded memory.
        self._calls = ThreadPoolExecutor(max_workers=CALL_WORKERS, thread_name_prefix="xtdata")
        if not 0 < int(port) < 65536:
            raise ValueError(f"port must be between 1 and 65535, not {port}")
        # user_id names the MiniQMT account; xtdata (market data) needs none, xttrader would.
        self.host, self.port, self.user_id = str(host), int(port), str(user_id or "")
        self._lock = threading.Lock()
        self._xtdata: ModuleType | None = None
        self._instruments: tuple[float, list[InstrumentInfo]] | None = None
        self._details: dict[str, tuple[date, dict[str, Any] | None]] = {}

    # --- connection -----------------------------------------------------------------------
    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def xtdata(self) -> ModuleType:
        """The connected xtdata module: imported and connected on first use, reconnected after a failure."""
        with self._lock:
            if self._xtdata is not None:
                return self._xtdata
            try:
                module: Any = importlib.import_module("xtquant.xtdata")
            except ImportError as exc:
                raise XtQuantUnavailable(
                    f"xtquant is not importable here (ImportError: {exc}), so MiniQMT at {self.address} "
                    "(XTQUANT_HOST/XTQUANT_PORT) was not tried: the xtquant source runs only on Windows beside "
                    "MiniQMT; on Linux use the upstream source through a pool of Argus nodes"
                ) from exc
            module.enable_hello = False  # connect() would print a banner to stdout
            try:
                module.connect(ip=self.host, port=self.port)
            except Exception as exc:
                raise XtQuantUnavailable(
                    f"MiniQMT did not answer at {self.address} (XTQUANT_HOST/XTQUANT_PORT): {exc}; start MiniQMT "
                    "(or the 投研 data service) there, or point XTQUANT_HOST/XTQUANT_PORT at it"
                ) from exc
            self._xtdata = module
            return module

    def call(self, function: str, *args: Any, **kwargs: Any) -> Any:
        """One xtdata call; a failure drops the connection (the next call reconnects) and says what failed."""
        module = self.xtdata()
        future = self._calls.submit(getattr(module, function), *args, **kwargs)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout as exc:
            future.cancel()
            raise SourceTimeout(
                f"xtdata.{function} did not answer within {self.timeout} s (XTQUANT_TIMEOUT) from MiniQMT at "
                f"{self.address}; check that MiniQMT is running and logged in"
            ) from exc
        except Exception as exc:
            with self._lock:
                self._xtdata = None
            raise XtQuantUnavailable(f"xtdata.{function} failed against MiniQMT at {self.address}: {exc}") from exc

    # --- reference data -------------------------------------------------------------------
    def instruments(self) -> list[InstrumentInfo]:
        """Stocks, indices and ETFs of the SH/SZ/BJ sectors with their instrument details (cached an hour)."""
        cached = self._instruments
        if cached is not None and clock.monotonic() - cached[0] < INSTRUMENTS_TTL:
            return cached[1]
        self.call("download_sector_data")
        codes: list[str] = []
        for market in MARKETS:
            codes.extend(symbol for code in self.call("get_stock_list_in_sector", market) or []
                         if (symbol := convert.valid_symbol(code)))  # fmt: skip
        wanted = list(dict.fromkeys(codes))
        details = self.call("get_instrument_detail_list", wanted) or {}
        infos = [convert.instrument(code, details[code]) for code in wanted if details.get(code)]
        self._instruments = (clock.monotonic(), infos)
        return infos

    def instrument(self, symbol: str) -> InstrumentInfo | None:
        """One instrument from get_instrument_detail (None for codes MiniQMT does not know)."""
        code = convert.valid_symbol(symbol)
        if code is None:
            return None
        detail = self.call("get_instrument_detail", code)
        self._details[code] = (shanghai(core_clock.now()).date(), detail or None)
        return convert.instrument(code, detail) if detail else None

    def _fetch_details(self, symbols: Sequence[str]) -> None:
        """Fetch in one call the details not yet fetched today (limit prices change daily; unknown codes: None)."""
        today = shanghai(core_clock.now()).date()
        missing = [s for s in symbols if s not in self._details or self._details[s][0] != today]
        if missing:
            found = self.call("get_instrument_detail_list", missing) or {}
            self._details.update({s: (today, found.get(s) or None) for s in missing})

    def trading_dates(self, market: str, start: date, end: date) -> list[date]:
        """MiniQMT's own past and current trading days (get_trading_dates); future days: the DB calendar."""
        stamps = self.call("get_trading_dates", market, start.strftime("%Y%m%d"), end.strftime("%Y%m%d"))
        return sorted({day for ms in stamps or [] if start <= (day := convert.day_from_ms(ms)) <= end})

    def own_calendar(self, market: str, after: date) -> CalendarSpan | None:
        """MiniQMT's calendar after `after`: its trading days (get_trading_dates), then weekdays that are
        not holidays (get_holidays) to the end of the last year it has holiday data for, as xtdata's
        own get_trading_calendar extrapolates them."""
        holidays = {
            date(int(str(text)[:4]), int(str(text)[4:6]), int(str(text)[6:8]))
            for text in self.call("get_holidays") or []
        }
        past = sorted({convert.day_from_ms(ms) for ms in self.call("get_trading_dates", market, "", "") or []})
        if not past:
            return None
        end = max(past[-1], date(max(day.year for day in holidays), 12, 31) if holidays else past[-1])
        if end <= after:
            return None
        days = {day for day in past if day > after}
        day = max(after, past[-1]) + timedelta(days=1)
        while day <= end:
            if day.weekday() < 5 and day not in holidays:
                days.add(day)
            day += timedelta(days=1)
        return CalendarSpan("xtquant get_trading_dates/get_holidays", after + timedelta(days=1), end, frozenset(days))

    # --- quotes ---------------------------------------------------------------------------
    def latest_ticks(self, symbols: Sequence[str]) -> dict[str, Tick]:
        """get_full_tick for the known symbols; limit prices from the day's instrument detail."""
        codes = list(dict.fromkeys(code for s in symbols if (code := convert.valid_symbol(s))))
        if not codes:
            return {}
        raw = self.call("get_full_tick", codes) or {}
        self._fetch_details([code for code in codes if code in raw])
        ticks = {}
        for code in codes:
            if code not in raw:
                continue
            detail = self._details[code][1]
            digits = price_digits(code)
            limits = convert.limits_from_detail(detail, convert.price(raw[code].get("lastClose"), digits), digits)
            made = convert.tick(code, raw[code], limits)
            if made is not None:
                ticks[code] = made
        return ticks

    def recent_trades(self, symbol: str, *, limit: int = 20) -> list[Trade]:
        """Level-1 xtdata publishes no trade list (3-second snapshots only; trades are level-2): none."""
        return []

    def prefetch_limits(self, symbols: Sequence[str]) -> None:
        """Fetch today's limit prices of `symbols` not fetched yet today: pushes use only cached ones."""
        self._fetch_details(list(dict.fromkeys(code for s in symbols if (code := convert.valid_symbol(s)))))

    def subscribe(
        self, callback: Callable[[list[Tick]], None], symbols: Sequence[str] | None = None
    ) -> XtQuantSubscription:
        """Push every tick of `symbols` (default: all of SH, SZ, BJ) to `callback` as a list of Ticks."""
        codes = [code for s in symbols if (code := convert.valid_symbol(s))] if symbols else list(MARKETS)
        module = self.xtdata()
        if symbols:
            self._fetch_details(codes)  # the pushes can only use cached limit prices

        def on_data(datas: dict[str, dict[str, Any]]) -> None:
            ticks = []
            for code, raw in datas.items():
                symbol = convert.valid_symbol(code)
                if symbol is None:
                    continue
                # Only cached limits here: this runs on xtquant's thread, where an RPC could deadlock.
                cached = self._details.get(symbol)
                digits = price_digits(symbol)
                prev = convert.price(raw.get("lastClose"), digits)
                limits = convert.limits_from_detail(cached[1] if cached else None, prev, digits)
                made = convert.tick(symbol, raw, limits)
                if made is not None:
                    ticks.append(made)
            if ticks:
                try:
                    callback(ticks)
                except Exception:  # xtquant would print and swallow it; log it instead
                    logger.exception("xtquant tick callback failed")

        seq = self.call("subscribe_whole_quote", codes, callback=on_data)
        if not isinstance(seq, int) or seq <= 0:
            raise XtQuantUnavailable(f"subscribe_whole_quote({codes[:5]}...) was refused by MiniQMT at {self.address}")
        return XtQuantSubscription(module, seq)

    # --- history --------------------------------------------------------------------------
    def bars(self, symbol: str, *, period: str, start: date, end: date) -> list[Bar]:
        """Unadjusted bars (dividend_type 'none') after download_history_data for the range."""
        validate_period(period)
        code = convert.valid_symbol(symbol)
        if code is None or start > end:
            return []
        if period in ("1w", "1mon"):
            days = self.bars(code, period="1d", start=period_start(start, period), end=end)
            return [bar for bar in aggregate_days(days, period) if bar.trading_day >= start]
        first, last = start.strftime("%Y%m%d") + "000000", end.strftime("%Y%m%d") + "235959"
        xt_period = XT_PERIODS[period]
        self.call("download_history_data", code, xt_period, start_time=first, end_time=last)
        frames = self.call("get_market_data_ex", [], [code], period=xt_period, start_time=first, end_time=last,
                           count=-1, dividend_type="none", fill_data=False)  # fmt: skip
        frame = (frames or {}).get(code)
        if frame is None or len(frame) == 0:
            return []
        return [bar for bar in convert.bars(code, period, frame) if start <= bar.trading_day <= end]

    def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        """Cash dividends and bonus/gift shares from get_divid_factors, oldest first."""
        code = convert.valid_symbol(symbol)
        return convert.actions(code, self.call("get_divid_factors", code)) if code else []

    # --- health ---------------------------------------------------------------------------
    def health(self) -> SourceHealth:
        """Connect and fetch one full tick, timed; unhealthy with the reason when MiniQMT is not there."""
        started = clock.perf_counter()
        extra = {"address": self.address}
        try:
            ticks = self.call("get_full_tick", [PROBE_SYMBOL]) or {}
        except XtQuantUnavailable as exc:
            return SourceHealth(False, exc.details, _ms_since(started), core_clock.now(), extra)
        ok = PROBE_SYMBOL in ticks
        detail = f"MiniQMT at {self.address} sent a {PROBE_SYMBOL} tick" if ok else (
            f"MiniQMT at {self.address} answered but has no {PROBE_SYMBOL} tick")  # fmt: skip
        return SourceHealth(ok, detail, _ms_since(started), core_clock.now(), extra)

    def close(self) -> None:
        """Forget the connection (xtdata keeps one per process; disconnecting would hurt other users)."""
        with self._lock:
            self._xtdata = None
        calls, self._calls = self._calls, ThreadPoolExecutor(max_workers=CALL_WORKERS, thread_name_prefix="xtdata")
        calls.shutdown(wait=False, cancel_futures=True)


def _ms_since(started: float) -> float:
    return round((clock.perf_counter() - started) * 1000, 3)
