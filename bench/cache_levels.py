"""Cost of one cached read per cache level, side by side with raw baselines, on the production cache.

Run: .venv/bin/python bench/cache_levels.py [--reads 20000]   (needs Redis on 127.0.0.1:6379)

Rows: `cache_fetch` answered from L1 (process memory), from L2 (Redis: the L1 copy dropped before
each read) and a miss (both levels looked up, the loader called, both filled), against a plain
dict lookup and a raw redis-py GET of the same pickled bytes. A throwaway SQLite database holds
the cache rules; keys live under their own namespace and are deleted at the end.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup() -> str:
    database = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    namespace = f"argus-bench-cache-{os.getpid()}"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "argus_site.settings.base",
            "DATABASE_URL": f"sqlite:///{database}",
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "ARGUS_NAMESPACE": namespace,
            "ARGUS_SECRET_KEY": "bench-only-" + "x" * 40,
            "ARGUS_LOG_LEVEL": "WARNING",
            "ARGUS_LOG_DIR": "-",
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return namespace


def _time(reads: int, step: Callable[[int], object]) -> tuple[float, float, float]:
    """(reads/s, p50 µs, p99 µs) over `reads` calls."""
    samples = []
    for i in range(reads):
        started = time.perf_counter_ns()
        step(i)
        samples.append((time.perf_counter_ns() - started) / 1000)
    samples.sort()
    total_s = sum(samples) / 1e6
    return reads / total_s, statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=20000)
    reads = parser.parse_args().reads
    namespace = _setup()

    import redis
    from django.conf import settings

    from cachemgr.keys import latest_quote_key
    from cachemgr.services import cache_fetch, cache_forget, cache_store

    quote = {
        "symbol": "000001.SZ", "name": "平安银行", "price": 12.34, "change": 0.12, "change_pct": 0.98,
        "volume": 1234567, "turnover": 15234567.89, "high": 12.45, "low": 12.2, "open": 12.25,
        "prev_close": 12.22, "timestamp": "2024-01-15T09:30:00.000Z",
    }  # fmt: skip
    key = latest_quote_key("000001.SZ")
    cache_store("LATEST_DATA", key, quote)

    def loader() -> dict[str, object]:
        return quote

    def l1_hit(_: int) -> object:
        return cache_fetch("LATEST_DATA", key, loader)

    def l2_hit(_: int) -> object:
        cache_forget("LATEST_DATA", key)
        return cache_fetch("LATEST_DATA", key, loader)

    def miss(i: int) -> object:
        return cache_fetch("LATEST_DATA", latest_quote_key(f"miss-{i}"), loader)

    client = redis.Redis.from_url(settings.REDIS_URL)
    raw_key = f"{namespace}:bench:raw"
    client.set(raw_key, pickle.dumps((time.time(), quote)))
    local = {key: quote}

    assert cache_fetch("LATEST_DATA", key, loader).level == "L1"
    cache_forget("LATEST_DATA", key)
    assert cache_fetch("LATEST_DATA", key, loader).level == "L2"

    rows = [
        ("cache_fetch, L1 hit", _time(reads, l1_hit)),
        ("cache_fetch, L2 hit (Redis)", _time(reads, l2_hit)),
        ("cache_fetch, miss (lookup + load + fill)", _time(reads, miss)),
        ("baseline: dict lookup", _time(reads, lambda _: local.get(key))),
        ("baseline: redis-py GET + unpickle", _time(reads, lambda _: pickle.loads(client.get(raw_key) or b""))),
    ]
    print(f"{reads} reads each, one process, Redis at {settings.REDIS_URL}")
    print(f"{'read':<42} {'reads/s':>10} {'p50 µs':>9} {'p99 µs':>9}")
    for name, (rate, p50, p99) in rows:
        print(f"{name:<42} {rate:>10.0f} {p50:>9.1f} {p99:>9.1f}")
    for stale in client.scan_iter(match=f"{namespace}*", count=1000):
        client.delete(stale)


if __name__ == "__main__":
    main()
