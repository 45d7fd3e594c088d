"""The summary a cut history result carries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mcpserver.summary import history_summary, limit_prices, max_drawdown_pct


def bar(day: str, open_: float, high: float, low: float, close: float, prev: float) -> dict[str, Any]:
    return {"date": day, "open": open_, "high": high, "low": low, "close": close, "change": round(close - prev, 2)}


BARS = [
    bar("2024-01-02", 10.00, 11.00, 9.90, 11.00, 10.00),  # +10%: limit up (11.00)
    bar("2024-01-03", 11.00, 12.10, 11.00, 12.10, 11.00),  # limit up again (12.10)
    bar("2024-01-04", 12.00, 12.00, 10.89, 10.89, 12.10),  # -10%: limit down (10.89)
    bar("2024-01-05", 10.90, 11.50, 10.80, 11.30, 10.89),
]


def test_limit_prices_round_half_up_to_the_tick() -> None:
    assert limit_prices(12.22, Decimal("0.10")) == (13.44, 11.0)
    assert limit_prices(10.05, Decimal("0.05")) == (10.55, 9.55)  # 10.5525 -> 10.55, 9.5475 -> 9.55


def test_summary_over_the_whole_range() -> None:
    summary = history_summary(BARS, period="1d", adjust="none", limit_ratio=Decimal("0.10"))
    assert summary["bars"] == 4
    assert (summary["first_date"], summary["last_date"]) == ("2024-01-02", "2024-01-05")
    assert (summary["open"], summary["high"], summary["low"], summary["close"]) == (10.0, 12.1, 9.9, 11.3)
    assert summary["return_pct"] == 13.0  # from the close before the range, 10.00, to 11.30
    assert summary["max_drawdown_pct"] == 10.0  # 12.10 -> 10.89
    assert summary["limit_up_days"] == ["2024-01-02", "2024-01-03"]
    assert summary["limit_down_days"] == ["2024-01-04"]


def test_limit_days_are_unknown_where_they_cannot_be_told() -> None:
    for kwargs in (
        {"period": "1d", "adjust": "pre", "limit_ratio": Decimal("0.10")},
        {"period": "5m", "adjust": "none", "limit_ratio": Decimal("0.10")},
        {"period": "1d", "adjust": "none", "limit_ratio": None},
    ):
        summary = history_summary(BARS, **kwargs)  # type: ignore[arg-type]
        assert summary["limit_up_days"] is None
        assert summary["limit_down_days"] is None


def test_drawdown_of_a_rising_series_is_zero_and_of_nothing_is_null() -> None:
    assert max_drawdown_pct([1.0, 2.0, 3.0]) == 0.0
    assert max_drawdown_pct([]) is None
    assert history_summary([], period="1d", adjust="none", limit_ratio=None) == {"bars": 0}
