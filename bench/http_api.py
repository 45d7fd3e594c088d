"""HTTP API benchmark: Argus on the production topology against a raw-ASGI baseline serving the same bytes.

One command (`make bench-http`, or `.venv/bin/python bench/http_api.py --duration 10`):
1. creates a throwaway PostgreSQL database and Redis namespace, migrates, loads reference data;
2. starts `manage.py serve --workers N` (uvicorn) on a free port, and the same with
   ARGUS_HTTP_FAST_PATH=false (plain Django) for the /latest scenarios;
3. warms the cache, then drives each scenario with wrk; stores each response body in Redis and
   drives two baselines serving those very bytes (uvicorn, same worker count, same wrk load):
   bench/baseline_memory.py (from memory: the physical limit for Python here) and
   bench/baseline_asgi.py (one Redis GET per request);
4. prints requests/s, p50 and p99 side by side, then removes the database, the keys and the servers.
Argus runs with its default settings (logging at INFO, production auth mode: API keys checked
whenever sent); only the per-client rate limits are raised (one load generator is one client).
Loopback only; every process it starts is stopped in `finally`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import psutil
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
TAG = f"argus_bench_{os.getpid()}"
# wrk's delay() hook: each connection waits this long between requests (a rate-limited load).
PACED = "function delay() return {ms} end\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(port: int, *, fast_path: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="argus_site.settings.base",
        DATABASE_URL=PG_ADMIN.rsplit("/", 1)[0] + f"/{TAG}",
        REDIS_URL=REDIS_URL,
        ARGUS_NAMESPACE=TAG,
        ARGUS_SECRET_KEY="bench-only",
        ARGUS_HOST="127.0.0.1",
        ARGUS_PORT=str(port),
        ARGUS_EMBEDDED_JOBS="false",
        ARGUS_LOG_LEVEL="INFO",  # the default: every request's access-log line is written
        ARGUS_CONFIG_FILE="/nonexistent/bench-ignores-local-yaml",
        # The feed keeps latest quotes fresh by write-through; with no feed running, a long TTL
        # keeps the warmed entries for the whole run.
        ARGUS_CACHE_TTL_HOT="3600",
        ARGUS_CACHE_TTL_WARM="3600",
        ARGUS_HTTP_FAST_PATH="true" if fast_path else "false",
        ARGUS_AUTH_MODE="production",
        # One load generator is one client: the per-client limits (still checked and counted on
        # every request) are raised so the run measures throughput, not the 100/min limit.
        ARGUS_RATE_LIMIT_REALTIME="1000000000",
        ARGUS_RATE_LIMIT_HISTORY="1000000000",
        ARGUS_RATE_LIMIT_MANAGEMENT="1000000000",
    )
    return env


def uvicorn_command(app: str, *, port: int, workers: int, extra: tuple[str, ...] = ()) -> list[str]:
    """A baseline app under uvicorn, quiet, on 127.0.0.1:`port`."""
    quiet = ["--no-access-log", "--log-level", "warning"]
    return [PYTHON, "-m", "uvicorn", app, "--workers", str(workers), "--port", str(port), *quiet, *extra]


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def process(cmd: list[str], env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    # Kept after the run: the servers' own logs explain any non-2xx answer.
    with (logs / f"{Path(cmd[1]).stem}-{port}.log").open("w+b") as log:
        yield from _run(cmd, env, port, log)


def _run(cmd: list[str], env: dict[str, str], port: int, log: Any) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"{cmd} did not start:\n{log.read().decode(errors='replace')[-3000:]}")
            time.sleep(0.3)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(
    url: str, *, duration: int, connections: int, delay_ms: int | None = None, gzip: bool = False
) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if gzip:
        cmd[1:1] = ["-H", "Accept-Encoding: gzip"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if delay_ms is not None:
            script.write(PACED.format(ms=delay_ms))
            cmd[1:1] = ["-s", script.name]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "errors": float(errors.group(1)) if errors else 0.0,
    }


PY_SPY = Path(PYTHON).with_name("py-spy")
# Scenarios run once more under py-spy (one worker, not reported), to name what limits them.
PROFILED = ("latest, 1 symbol", "history 1y daily")


def profile_start(server: subprocess.Popen[bytes], seconds: int) -> tuple[subprocess.Popen[bytes], Path] | None:
    """py-spy on one uvicorn worker of `server` for `seconds` (None when py-spy is not installed)."""
    if not PY_SPY.exists():
        return None
    children = psutil.Process(server.pid).children(recursive=True)
    workers = [child for child in children if "spawn_main" in " ".join(child.cmdline())] or children
    if not workers:
        return None
    out = Path(tempfile.mkstemp(suffix=".txt")[1])
    cmd = [str(PY_SPY), "record", "--pid", str(workers[-1].pid), "-d", str(seconds), "-r", "200", "-f", "raw"]
    cmd.append("--nonblocking")  # without it py-spy stops the worker for every sample
    spy = subprocess.Popen([*cmd, "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return spy, out


def profile_summary(started: tuple[subprocess.Popen[bytes], Path] | None, top: int = 14) -> list[str]:
    """Where a worker's event loop spent its samples (inclusive share; self share of the busiest
    leaves): the loop's thread only, so the other threads' idle waits do not drown it."""
    if started is None:
        return ["(py-spy not installed: pip install py-spy)"]
    spy, out = started
    spy.wait(timeout=120)
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        if "Runner.run (" not in stack:
            continue  # not the event loop's thread (the pools', metrics' and log writer's wait)
        total += count
        frames = [re.sub(r" \(.*/(site-packages/)?", " (", frame) for frame in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        own[frames[-1]] = own.get(frames[-1], 0) + count
    out.unlink()
    if not total:
        return ["(no samples)"]
    lines = [f"{total} samples of the event loop's thread; inclusive:"]
    ranked = sorted(inclusive.items(), key=lambda item: -item[1])
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in ranked[: top + 6] if n < total * 0.999][:top]
    lines.append("self (leaf frames):")
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in sorted(own.items(), key=lambda item: -item[1])[:10]]
    return lines


def scenarios(symbols: list[str]) -> dict[str, str]:
    today = date.today()
    year = today.year - 1
    month_end = today.replace(day=1) - timedelta(days=1)
    one = symbols[0]
    return {
        "latest, 1 symbol": "/api/v1/market_data/latest?" + urlencode({"symbols": one}),
        "latest, 100 symbols": "/api/v1/market_data/latest?" + urlencode({"symbols": ",".join(symbols[:100])}),
        "full, 1 symbol": "/api/v1/market_data/full?" + urlencode({"symbols": one}),
        "history 1y daily": "/api/v1/market_data/history?"
        + urlencode({"symbols": one, "start_date": f"{year}-01-01", "end_date": f"{year}-12-31"}),
        "history 1 month 1m": "/api/v1/market_data/history?"
        + urlencode({"symbols": one, "start_date": month_end.replace(day=1), "end_date": month_end, "period": "1m"}),
    }


def fetch(url: str, *, gzip: bool = False) -> bytes:
    """The body as sent (still gzip-encoded when asked for and given)."""
    request = Request(url, headers={"Accept-Encoding": "gzip"} if gzip else {})
    try:
        with urlopen(request, timeout=60) as response:
            return bytes(response.read())
    except HTTPError as exc:
        raise RuntimeError(f"{url} answered {exc.code}: {exc.read()[:500]!r}") from None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=int, default=300, help="target req/s for the paced history run")
    args = parser.parse_args()
    subprocess.run([str(ROOT / "scripts" / "bench-deps")], check=True)

    admin = psycopg.connect(PG_ADMIN, autocommit=True)
    admin.execute(f'CREATE DATABASE "{TAG}"')
    store = redis.Redis.from_url(REDIS_URL)
    port, django_port, base_port, mem_port = free_port(), free_port(), free_port(), free_port()
    env = server_env(port, fast_path=True)
    rows: list[tuple[str, dict[str, float], dict[str, float] | None, dict[str, float], dict[str, float]]] = []
    try:
        for step in (["migrate", "--noinput"], ["createcachetable"], ["load_reference_data"]):
            manage(*step, env=env)
        with psycopg.connect(env["DATABASE_URL"]) as db:
            symbols = [
                row[0] for row in db.execute("SELECT symbol FROM marketdata_instrument ORDER BY symbol LIMIT 100")
            ]
        paths = scenarios(symbols)
        serve = [PYTHON, "manage.py", "serve", "--workers", str(args.workers)]
        memory = uvicorn_command("bench.baseline_memory:app", port=mem_port, workers=args.workers)
        baseline = uvicorn_command("bench.baseline_asgi:app", port=base_port, workers=args.workers)
        base_env = {**os.environ, "BENCH_REDIS_URL": REDIS_URL, "BENCH_PREFIX": TAG}
        plain: dict[str, dict[str, float]] = {}
        with process(serve, server_env(django_port, fast_path=False), django_port):
            for name, path in list(paths.items())[:2]:
                fetch(f"http://127.0.0.1:{django_port}{path}")
                plain[name] = wrk(
                    f"http://127.0.0.1:{django_port}{path}", duration=args.duration, connections=args.connections
                )
        gzip_runs: dict[str, dict[str, float]] = {}
        captured: dict[int, bytes] = {}
        profiles: dict[str, list[str]] = {}
        with process(serve, env, port) as argus:
            # The feed's part, once: these symbols' current ticks through the one tick ingest, which
            # writes each quote through the cache and serialises it into the latest-quote store.
            ingest = (
                "import os\nfrom marketdata.sources import get_source\n"
                "from streaming.services.ticks import ticks_ingest\n"
                "ticks_ingest(get_source().latest_ticks(os.environ['BENCH_SYMBOLS'].split(',')).values())"
            )
            subprocess.run(
                [PYTHON, "manage.py", "shell", "-c", ingest],
                cwd=ROOT,
                env={**env, "BENCH_SYMBOLS": ",".join(symbols)},
                check=True,
                stdout=subprocess.DEVNULL,
            )
            for index, (name, path) in enumerate(paths.items()):
                body = fetch(f"http://127.0.0.1:{port}{path}")
                fetch(f"http://127.0.0.1:{port}{path}")
                store.set(f"{TAG}:s{index}", body)
                captured[index] = body
                result = wrk(f"http://127.0.0.1:{port}{path}", duration=args.duration, connections=args.connections)
                rows.append((name, result, plain.get(name), {}, {}))
                if name in PROFILED:
                    # A run of its own, not reported: sampling costs the sampled worker.
                    spy = profile_start(argus, max(1, args.duration - 2))
                    wrk(f"http://127.0.0.1:{port}{path}", duration=args.duration, connections=args.connections)
                    profiles[name] = profile_summary(spy)
            for name in ("history 1y daily", "history 1 month 1m"):
                url = f"http://127.0.0.1:{port}{paths[name]}"
                encoded = fetch(url, gzip=True)
                gzip_runs[name] = {
                    **wrk(url, duration=args.duration, connections=args.connections, gzip=True),
                    "bytes": float(len(encoded)),
                    "raw_bytes": float(len(fetch(url))),
                }
            history = paths["history 1y daily"]
            connections = 10
            paced = wrk(
                f"http://127.0.0.1:{port}{history}",
                duration=args.duration,
                connections=connections,
                delay_ms=max(1, int(1000 * connections / args.rate)),
            )
        for command, app_port, column in ((memory, mem_port, 3), (baseline, base_port, 4)):
            with process(command, base_env, app_port):
                for index, body in captured.items():  # the very bytes, or the comparison means nothing
                    if fetch(f"http://127.0.0.1:{app_port}/s{index}") != body:
                        raise RuntimeError(f"{command[2]} does not serve the bytes captured for {rows[index][0]!r}")
                for index, row in enumerate(rows):
                    row[column].update(
                        wrk(
                            f"http://127.0.0.1:{app_port}/s{index}",
                            duration=args.duration,
                            connections=args.connections,
                        )
                    )
        report(rows, paced, gzip_runs, args)
        for name, lines in profiles.items():
            print(f"\npy-spy, one Argus worker during '{name}':")
            print("\n".join(lines))
    finally:
        for key in store.scan_iter(f"{TAG}*", count=1000):
            store.delete(key)
        admin.execute(f'DROP DATABASE IF EXISTS "{TAG}" WITH (FORCE)')
        admin.close()
    return 0


def report(
    rows: list, paced: dict[str, float], gzip_runs: dict[str, dict[str, float]], args: argparse.Namespace
) -> None:
    print(
        f"\nwrk -t2 -c{args.connections} -d{args.duration}s, {args.workers} uvicorn workers each, "
        f"on {os.cpu_count()} cores shared with the load generator, Redis and PostgreSQL"
    )
    head = f"{'scenario':<22}{'Argus req/s':>12}{'p50 ms':>8}{'p99 ms':>8}"
    head += f"  {'memory limit req/s':>18}{'p99':>7}{'Argus/limit':>12}"
    print(head + f"  {'Redis-GET base req/s':>20}{'p99':>7}  {'plain Django req/s':>18}{'p99':>7}")
    for name, argus, plain, limit, base in rows:
        django = f"{plain['rps']:>18.0f}{plain['p99']:>7.1f}" if plain else f"{'-':>18}{'-':>7}"
        ratio = argus["rps"] / limit["rps"] if limit.get("rps") else 0.0
        flag = f"  ({argus['errors']:.0f} non-2xx!)" if argus["errors"] else ""
        for baseline, run in (("memory", limit), ("Redis-GET", base)):
            if run.get("errors"):
                flag += f"  ({baseline} baseline: {run['errors']:.0f} non-2xx!)"
        print(
            f"{name:<22}{argus['rps']:>12.0f}{argus['p50']:>8.1f}{argus['p99']:>8.1f}"
            f"  {limit['rps']:>18.0f}{limit['p99']:>7.1f}{ratio:>12.0%}"
            f"  {base['rps']:>20.0f}{base['p99']:>7.1f}  {django}{flag}"
        )
    for name, run in gzip_runs.items():
        print(
            f"{name}, Accept-Encoding: gzip: {run['rps']:.0f} req/s, p50 {run['p50']:.1f} ms, p99 {run['p99']:.1f} ms; "
            f"{run['bytes'] / 1024:.1f} KB per answer instead of {run['raw_bytes'] / 1024:.1f} KB"
        )
    print(
        f"history 1y daily, paced toward {args.rate} req/s (10 connections, wrk delay()): "
        f"{paced['rps']:.0f} req/s measured, p50 {paced['p50']:.1f} ms, p99 {paced['p99']:.1f} ms"
    )


if __name__ == "__main__":
    sys.exit(main())
