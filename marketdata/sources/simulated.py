"""Simulated source (placeholder: instruments and health only; market data lands with issue 2's source work)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from marketdata.sources.base import Bar, CorporateAction, DataSource, InstrumentInfo, SourceHealth, Tick, Trade

SPEC_INSTRUMENTS = [
    InstrumentInfo(
        "000001.SZ",
        "平安银行",
        "平安银行股份有限公司",
        "深圳主板",
        "stock",
        "银行",
        "金融业",
        date(1991, 4, 3),
        19405918198,
        19405546950,
    ),
]


class SimulatedSource(DataSource):
    name: ClassVar[str] = "simulated"
    simulated: ClassVar[bool] = True

    def __init__(self, *, seed: int = 0, universe_size: int = 10, clock: str = "real", **options: Any) -> None:
        super().__init__(**options)
        self.seed = seed

    def instruments(self) -> list[InstrumentInfo]:
        return list(SPEC_INSTRUMENTS)

    def latest_ticks(self, symbols: Sequence[str]) -> dict[str, Tick]:
        raise NotImplementedError

    def recent_trades(self, symbol: str, *, limit: int = 20) -> list[Trade]:
        raise NotImplementedError

    def bars(self, symbol: str, *, period: str, start: date, end: date) -> list[Bar]:
        raise NotImplementedError

    def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        raise NotImplementedError

    def health(self) -> SourceHealth:
        started = time.perf_counter()
        ok = bool(self.instruments())
        return SourceHealth(ok, "generator ready", (time.perf_counter() - started) * 1000, datetime.now(UTC))
