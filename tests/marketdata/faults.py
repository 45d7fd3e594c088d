"""Sources that fail the way real ones do when their backend is down (the outage cannot be staged here).

They know the spec's instrument (so requests pass validation) and fail on every market-data call.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from marketdata.sources.base import (
    Bar,
    CorporateAction,
    DataSource,
    InstrumentInfo,
    SourceHealth,
    SourceUnavailable,
    Tick,
    Trade,
    XtQuantUnavailable,
)

SPEC_INSTRUMENT = InstrumentInfo(
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
)


class _Failing(DataSource):
    name: ClassVar[str] = "failing"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)

    def _fail(self, what: str) -> Any:
        raise NotImplementedError

    def instruments(self) -> list[InstrumentInfo]:
        return [SPEC_INSTRUMENT]

    def latest_ticks(self, symbols: Sequence[str]) -> dict[str, Tick]:
        return self._fail("latest_ticks")

    def recent_trades(self, symbol: str, *, limit: int = 20) -> list[Trade]:
        return self._fail("recent_trades")

    def bars(self, symbol: str, *, period: str, start: date, end: date) -> list[Bar]:
        return self._fail("bars")

    def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        return self._fail("corporate_actions")

    def health(self) -> SourceHealth:
        return SourceHealth(False, "down", 0.0, datetime.now(UTC))


class DownSource(_Failing):
    """An upstream node that refuses connections."""

    name: ClassVar[str] = "upstream-down"

    def _fail(self, what: str) -> Any:
        raise SourceUnavailable("tried node 127.0.0.1:9 (connection refused) and no other node is healthy")


class XtQuantDownSource(_Failing):
    """MiniQMT not answering."""

    name: ClassVar[str] = "xtquant-down"

    def _fail(self, what: str) -> Any:
        raise XtQuantUnavailable("xtquant.xtdata.connect to 127.0.0.1:58610 failed after 1 attempt")


class BrokenSource(_Failing):
    """A backend with a bug: an unexpected exception must become INTERNAL_ERROR without a trace."""

    name: ClassVar[str] = "broken"

    def _fail(self, what: str) -> Any:
        raise KeyError(f"secret internal state in {what}")
