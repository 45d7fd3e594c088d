"""A more honest simulated market: indices have no book and no trades; invented companies say so."""

from __future__ import annotations

from datetime import UTC, datetime

from marketdata.sources.base import DataSource
from marketdata.sources.simulated.universe import FIXED

SPEC_NAMES = {"000001.SZ": "平安银行", "000002.SZ": "万科A", "600000.SH": "浦发银行", "600519.SH": "贵州茅台",
              "000001.SH": "上证指数"}  # fmt: skip


def test_an_index_has_no_book_and_no_trades(sim: DataSource) -> None:
    moment = datetime(2024, 7, 15, 1, 25, tzinfo=UTC)  # 09:25 Shanghai: the opening auction's print
    for symbol in ("000001.SH", "399001.SZ"):
        tick = sim.ticks_at([symbol], moment)[symbol]  # type: ignore[attr-defined]
        assert tick.bids == () and tick.asks == ()
        assert sim.trades_at(symbol, moment) == []  # type: ignore[attr-defined]
        later = datetime(2024, 7, 15, 3, 0, tzinfo=UTC)
        assert sim.trades_at(symbol, later) == []  # type: ignore[attr-defined]
        assert sim.recent_trades(symbol) == []


def test_spec_examples_keep_real_names_and_the_filler_is_clearly_synthetic(sim: DataSource) -> None:
    infos = {info.symbol: info for info in sim.instruments()}
    for symbol, name in SPEC_NAMES.items():
        assert infos[symbol].name == name
    fixed = {info.symbol for info, _ in FIXED}
    synthetic = [info for symbol, info in infos.items() if symbol not in fixed]
    assert synthetic
    for info in synthetic:
        assert "模拟" in info.name and "模拟" in info.full_name, info
