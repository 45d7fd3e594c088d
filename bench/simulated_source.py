"""Time the simulated source beside its pre-optimisation baseline, in the same run, on the same data.

Run: DJANGO_SETTINGS_MODULE=argus_site.settings.test .venv/bin/python bench/simulated_source.py [--symbols 4000]
[--baseline COMMIT] (needs the calendar in the configured database: `python manage.py migrate && python
manage.py load_reference_data`). The baseline is the simulated package as of BASELINE_COMMIT (or
--baseline), extracted with `git archive` into a temporary directory; whether both produce identical
ticks is checked, not timed (a deliberate change of the market makes it False).
"""

from __future__ import annotations

import argparse
import gc
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from marketdata.calendar import db_calendar  # noqa: E402
from marketdata.sources.simulated import SimulatedSource  # noqa: E402

BASELINE_COMMIT = "67a92a1"  # the simulated source before the vectorised rewrite
PACKAGE = "marketdata/sources/simulated"
MOMENT = datetime(2024, 6, 12, 2, 0, 7, tzinfo=UTC)  # 10:00:07 in Shanghai


def baseline_class(workdir: Path, commit: str = BASELINE_COMMIT) -> type:
    """The baseline SimulatedSource, imported as package `simulated_baseline` from the old commit."""
    archive = subprocess.run(["git", "archive", commit, PACKAGE], cwd=ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(workdir, filter="data")
    target = workdir / "simulated_baseline"
    (workdir / PACKAGE).rename(target)
    for module in target.glob("*.py"):
        module.write_text(module.read_text().replace("marketdata.sources.simulated", "simulated_baseline"))
    sys.path.insert(0, str(workdir))
    from simulated_baseline import SimulatedSource as Baseline  # type: ignore[import-not-found]

    return Baseline  # type: ignore[no-any-return]


def once(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def warm(call: Callable[[], object], repeat: int) -> float:
    return statistics.median(once(call) for _ in range(repeat))


def measure(cls: type, size: int, repeat: int) -> tuple[dict[str, float], Any]:
    """Every figure for one implementation, each cold figure on a fresh source."""
    fresh: Callable[[], Any] = lambda: cls(calendar=db_calendar, seed=1, universe_size=size, book_depth=20)  # noqa: E731
    figures: dict[str, float] = {}
    source = fresh()
    figures["first tick, 1 symbol, new process"] = once(lambda: source.ticks_at(["600519.SH"], MOMENT))
    figures["trades(20), 1 symbol, cold"] = once(lambda: source.trades_at("600000.SH", MOMENT))
    symbols = [info.symbol for info in source.instruments()]
    figures[f"ticks({size}) cold (new day)"] = once(lambda: source.ticks_at(symbols, MOMENT))
    figures[f"ticks({size}) warm"] = warm(lambda: source.ticks_at(symbols, MOMENT), repeat)
    ticks = source.ticks_at(symbols, MOMENT)
    daily = {"period": "1d", "start": date(2023, 1, 1), "end": date(2023, 12, 31)}
    minutes = {"period": "1m", "start": date(2024, 5, 1), "end": date(2024, 5, 31)}
    figures["bars 1y 1d cold"] = once(lambda: source.bars("000001.SZ", **daily))
    figures["bars 1y 1d warm"] = warm(lambda: source.bars("000001.SZ", **daily), repeat)
    figures["bars 1 month 1m cold"] = once(lambda: source.bars("600519.SH", **minutes))
    figures["bars 1 month 1m warm"] = warm(lambda: source.bars("600519.SH", **minutes), repeat)
    return figures, ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--symbols", type=int, default=4000, help="universe size (the market polled at once)")
    parser.add_argument("--repeat", type=int, default=5, help="warm runs; the median is shown")
    parser.add_argument("--baseline", default=BASELINE_COMMIT, help="the commit to compare with")
    args = parser.parse_args()
    db_calendar.trading_days("SH", date(2024, 1, 1), date(2024, 1, 31))
    with tempfile.TemporaryDirectory() as workdir:
        baseline, old_ticks = measure(baseline_class(Path(workdir), args.baseline), args.symbols, args.repeat)
    gc.collect()  # the baseline's caches sit in reference cycles: free them before timing the other side
    current, new_ticks = measure(SimulatedSource, args.symbols, args.repeat)
    sys.stdout.write(f"baseline: {args.baseline}\n")
    sys.stdout.write(f"{'figure (ms)':38s} {'baseline':>10s} {'now':>10s} {'speed-up':>9s}\n")
    for name, before in baseline.items():
        after = current[name]
        sys.stdout.write(f"{name:38s} {before:10.1f} {after:10.1f} {before / max(after, 1e-9):8.1f}x\n")
    sys.stdout.write(f"ticks identical to the baseline: {old_ticks == new_ticks}\n")


if __name__ == "__main__":
    main()
