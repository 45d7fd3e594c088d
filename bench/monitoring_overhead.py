"""Per-request cost of the monitoring middleware (guard + rate limit + metrics + access log).

Runs in process with Django's test client against a stand-in DRF view, with and without
monitoring's middleware, and prints both side by side. In-process figures only: they exclude the
server, so they show the middleware's own cost. Usage:

    .venv/bin/python bench/monitoring_overhead.py [requests]          # embedded default (in-process limiter)
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/monitoring_overhead.py   # Redis limiter
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "argus_site.settings.test")
os.environ.setdefault("ARGUS_LOG_DIR", "-")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

MONITORING = ("monitoring.middleware.CorsMiddleware", "monitoring.middleware.RequestMonitorMiddleware")


def run(requests: int, middleware: list[str]) -> tuple[float, float]:
    with override_settings(MIDDLEWARE=middleware, ROOT_URLCONF="tests.monitoring.stub_urls", ALLOWED_HOSTS=["*"]):
        client = Client()
        for _ in range(200):
            client.get("/api/v1/market_data/latest")
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get("/api/v1/market_data/latest")
            samples.append((time.perf_counter() - started) * 1e6)
    samples.sort()
    return sum(samples) / len(samples), samples[int(len(samples) * 0.99)]


def main() -> None:
    setup_test_environment()
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    without = [m for m in settings.MIDDLEWARE if m not in MONITORING]
    base_mean, base_p99 = run(requests, without)
    mean, p99 = run(requests, list(settings.MIDDLEWARE))
    limiter = "redis" if settings.USE_REDIS else "in-process"
    print(f"{'':28}{'mean µs':>10}{'p99 µs':>10}   ({requests} requests, limiter: {limiter})")
    print(f"{'baseline (no monitoring)':28}{base_mean:10.0f}{base_p99:10.0f}")
    print(f"{'with monitoring middleware':28}{mean:10.0f}{p99:10.0f}")
    print(f"{'overhead per request':28}{mean - base_mean:10.0f}{p99 - base_p99:10.0f}")


if __name__ == "__main__":
    main()
