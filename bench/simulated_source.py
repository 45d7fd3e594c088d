"""Time the simulated source: latest_ticks(4000), bars(1 year daily), bars(1 month of 1m).

Run: DJANGO_SETTINGS_MODULE=argus_site.settings.test .venv/bin/python bench/simulated_source.py
(needs the calendar: `python manage.py load_reference_data` on the configured database).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import django

django.setup()

from marketdata.sources import load_source  # noqa: E402

BASELINE_MS = {"latest_ticks(4000) warm": 200.0, "bars 1y 1d warm": 5.0, "bars 1 month 1m warm": 100.0}


def timed(call: Callable[[], object], repeat: int = 5) -> tuple[float, float]:
    """(first call ms, median of the following calls ms)."""
    runs = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        call()
        runs.append((time.perf_counter() - started) * 1000)
    return runs[0], statistics.median(runs[1:])


def main() -> None:
    source = load_source({"BACKEND": "simulated", "OPTIONS": {"seed": 1, "universe_size": 4000, "clock": "real"}})
    symbols = [info.symbol for info in source.instruments()]
    moment = datetime(2024, 6, 12, 2, 0, 7, tzinfo=UTC)
    figures = {
        "latest_ticks(4000) warm": timed(lambda: source.ticks_at(symbols, moment)),  # type: ignore[attr-defined]
        "bars 1y 1d warm": timed(
            lambda: source.bars("000001.SZ", period="1d", start=date(2023, 1, 1), end=date(2023, 12, 31))
        ),
        "bars 1 month 1m warm": timed(
            lambda: source.bars("600519.SH", period="1m", start=date(2024, 5, 1), end=date(2024, 5, 31))
        ),
    }
    for name, (cold, warm) in figures.items():
        print(f"{name:28s} cold {cold:9.1f} ms   warm {warm:8.1f} ms   baseline {BASELINE_MS[name]:6.1f} ms")


if __name__ == "__main__":
    main()
