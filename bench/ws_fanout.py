"""WebSocket benchmark: Argus's /ws/market_data against a raw-ASGI fan-out baseline, same publisher, same clients.

One command (`make bench-ws`, or `.venv/bin/python bench/ws_fanout.py`):
1. creates a throwaway PostgreSQL database and Redis namespace, migrates, loads reference data and
   creates an API key (production mode: the handshake presents it);
2. starts a publisher process that calls the real `ticks_ingest` (sequence, cache write-through,
   replay buffer, Redis PUBLISH) at fixed rates, noting the time each (symbol, seq) was ingested;
3. for Argus (`manage.py serve --workers N`, uvicorn) and then bench/baseline_ws.py (uvicorn, same
   workers, listening on the same Redis channel), with clients from bench/wsload.py in their own
   processes:
   - fan-out: N clients x K symbols, the publisher stepping through rates; delivered msgs/s,
     p50/p99 from ingest to client receipt, sequence gaps, server RSS, Redis memory;
   - connections held (10,000 by default), then a reconnect storm (2,000 dropped and reopened at
     once, each with subscribe + snapshot): successes, seconds, snapshot p50/p99;
4. for Argus only: clients that stop reading (tiny receive window) beside a reading client on the
   same symbols: server RSS per stalled client, how soon the server drops them, whether the
   reading client saw gaps;
5. prints everything side by side and removes the database, keys and processes.

The knee of a server is the highest offered rate it delivers with p99 <= 100 ms, >= 99% of the
messages and no gaps. Loopback only; every process it starts is stopped in `finally`.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_api import PG_ADMIN, PYTHON, REDIS_URL, TAG, free_port, manage, server_env, uvicorn_command  # noqa: E402
from bench.ws_support import (  # noqa: E402
    FIELDS,
    Clients,
    group_rss_mb,
    merge,
    pct,
    publisher,
    redis_mb,
    server,
)
from bench.wsload import Target  # noqa: E402

KNEE_P99_MS = 100.0


# --- scenarios ----------------------------------------------------------------------------------
def fanout(
    clients: Clients,
    pub: Any,
    symbols: list[str],
    *,
    n_clients: int,
    per_client: int,
    rates: list[int],
    seconds: float,
    pgid: int,
    store: redis.Redis,
) -> list[dict[str, Any]]:
    blocks = len(symbols) // per_client
    specs = [
        {"symbols": symbols[(i % blocks) * per_client : (i % blocks + 1) * per_client], "fields": FIELDS}
        for i in range(n_clients)
    ]
    followers = Counter(s for spec in specs for s in spec["symbols"])
    opened = clients.open(specs, concurrency=50)
    if opened["failed"]:
        raise RuntimeError(f"fan-out clients failed to connect: {opened['errors']}")
    rows = []
    fan = n_clients * per_client / len(symbols)
    clients.call("collect", quiet=0.5)
    for rate in rates:
        redis_before = redis_mb(store)
        pub.send(("run", {"symbols": symbols, "rate": rate / fan, "seconds": seconds}))
        published = pub.recv()
        got = merge(clients.call("collect", quiet=1.0))
        ingested = published["ingested"]
        expected = sum(followers[s] for s, _ in ingested)
        latencies = [(t - ingested[(s, q)]) * 1000 for s, q, t in got["arrivals"] if (s, q) in ingested]
        row = {
            "offered": rate,
            "delivered": len(got["arrivals"]) / published["seconds"],
            "ratio": len(got["arrivals"]) / expected if expected else 0.0,
            "p50": pct(latencies, 0.50),
            "p99": pct(latencies, 0.99),
            "gaps": got["gaps"],
            "rss": group_rss_mb(pgid),
            "redis": redis_mb(store) - redis_before,
            "ingest_ms": pct([c * 1000 for c in published["costs"]], 0.5),
        }
        rows.append(row)
        print(
            f"    offered {rate:>6}/s  delivered {row['delivered']:>8.0f}/s ({row['ratio']:.1%})  "
            f"p50 {row['p50']:7.1f} ms  p99 {row['p99']:7.1f} ms  gaps {row['gaps']}  "
            f"RSS {row['rss']:.0f} MB  Redis {row['redis']:+.1f} MB  ingest/batch {row['ingest_ms']:.1f} ms",
            flush=True,
        )
        if row["ratio"] < 0.5 or row["p99"] > 5000:
            print("    (past saturation; higher rates skipped)", flush=True)
            break
    clients.call("close")
    return rows


def knee(rows: list[dict[str, Any]]) -> float:
    good = [r["delivered"] for r in rows if r["p99"] <= KNEE_P99_MS and r["ratio"] >= 0.99 and r["gaps"] == 0]
    return max(good, default=0.0)


def connections(
    clients: Clients, pub: Any, symbols: list[str], *, count: int, storm: int, pgid: int, idle_rss: float
) -> dict[str, Any]:
    specs = [{"symbols": [symbols[i % len(symbols)]], "fields": FIELDS} for i in range(count)]
    opened = clients.open(specs, concurrency=200)
    result: dict[str, Any] = {
        "held": opened["opened"],
        "failed": opened["failed"],
        "errors": opened["errors"],
        "open_s": opened["seconds"],
        "rss": group_rss_mb(pgid),
    }
    result["kb_per_conn"] = (result["rss"] - idle_rss) * 1024 / max(1, opened["opened"])
    # One tick for every symbol: every held connection should get exactly one push.
    clients.call("collect", quiet=0.5)
    pub.send(("run", {"symbols": symbols, "rate": len(symbols) / 0.5, "seconds": 0.5}))
    published = pub.recv()
    got = merge(clients.call("collect", quiet=1.5))
    receivers = {(s, q) for s, q in published["ingested"]}
    result["pushed_to"] = sum(1 for s, q, _ in got["arrivals"] if (s, q) in receivers)
    stormed = merge(clients.call("reconnect", [{"count": storm // len(clients.pipes)} for _ in clients.pipes]))
    result.update(
        storm=storm,
        storm_ok=stormed.get("opened", 0),
        storm_failed=stormed.get("failed", 0),
        storm_errors=stormed.get("errors", []),
        storm_s=stormed.get("seconds", 0.0),
        storm_p50=pct(stormed.get("snapshot_ms", []), 0.5),
        storm_p99=pct(stormed.get("snapshot_ms", []), 0.99),
        alive=merge(clients.call("alive"))["alive"],
    )
    clients.call("close")
    return result


def stalled(
    target: Target, pub: Any, symbols: list[str], *, count: int, seconds: float, rate: float, pgid: int
) -> dict[str, Any]:
    """`count` clients stop reading; a reading client follows the same symbols."""
    reading = Clients(target, 1)
    stalling = Clients(target, 1)
    try:
        spec = {"symbols": symbols, "fields": None}  # whole quotes: the biggest frames
        reading.open([spec], concurrency=1)
        before = group_rss_mb(pgid)
        got = stalling.call("open", [{"specs": [spec] * count, "concurrency": count, "rcvbuf": 4096}])[0]
        if got["failed"]:
            raise RuntimeError(f"stalled clients failed to connect: {got['errors']}")
        stalling.call("pause")
        reading.call("collect", quiet=0.3)
        peak = before
        dropped_after = None
        seen = 0
        started = time.monotonic()
        all_ingested: dict[tuple[str, int], float] = {}
        while time.monotonic() - started < seconds:
            pub.send(("run", {"symbols": symbols, "rate": rate, "seconds": 1.0}))
            all_ingested.update(pub.recv()["ingested"])
            peak = max(peak, group_rss_mb(pgid))
            # Every server process reports its connections every 2 s: wait until all stalled
            # clients were seen, then for the count to fall back to the reading client alone.
            total = reading.call("stats")[0].get("total_connections", 0)
            seen = max(seen, total)
            if seen >= count + 1 and total <= 1:
                dropped_after = time.monotonic() - started
                break
        got_reading = reading.call("collect", quiet=1.0)[0]
        latencies = [(t - all_ingested[(s, q)]) * 1000 for s, q, t in got_reading["arrivals"] if (s, q) in all_ingested]
        return {
            "stalled": count,
            "per_client_mb": (peak - before) / count,
            "dropped_after": dropped_after,
            "reading_gaps": got_reading["gaps"],
            "reading_received": len(got_reading["arrivals"]),
            "reading_expected": len(all_ingested),
            "reading_p99": pct(latencies, 0.99),
            "symbols": len(symbols),
        }
    finally:
        reading.stop()
        stalling.stop()


def report(argus: dict[str, Any], base: dict[str, Any], stall: dict[str, Any] | None, args: argparse.Namespace) -> None:
    print()
    print(f"== fan-out: {args.clients} clients x {args.per_client} symbols of {args.symbols}, fields {FIELDS}")
    print(
        f"{'offered msgs/s':>15} | {'Argus delivered':>15} {'p50':>7} {'p99':>8} {'gaps':>5} {'RSS MB':>7}"
        f" | {'baseline':>9} {'p50':>7} {'p99':>8} {'gaps':>5} {'RSS MB':>7}"
    )
    by_rate = {r["offered"]: r for r in base["fanout"]}
    for row in argus["fanout"]:
        b = by_rate.get(row["offered"])
        right = (
            f"{b['delivered']:>9.0f} {b['p50']:>7.1f} {b['p99']:>8.1f} {b['gaps']:>5} {b['rss']:>7.0f}" if b else "-"
        )
        print(
            f"{row['offered']:>15} | {row['delivered']:>15.0f} {row['p50']:>7.1f} {row['p99']:>8.1f} "
            f"{row['gaps']:>5} {row['rss']:>7.0f} | {right}"
        )
    ka, kb = knee(argus["fanout"]), knee(base["fanout"])
    share = f"{ka / kb:.0%}" if kb else "n/a"
    print(
        f"knee (p99 <= {KNEE_P99_MS:.0f} ms, >= 99% delivered, no gaps): Argus {ka:.0f} msgs/s, "
        f"baseline {kb:.0f} msgs/s -> {share} of baseline"
    )
    for label, run in (("Argus", argus), ("baseline", base)):
        snap = run["snapshot_ms"]
        again = run["snapshot_open_ms"]
        print(
            f"snapshot on subscribe ({label}, {args.clients} subscribes, 50 at a time): right after the handshake "
            f"p50 {pct(snap, 0.5):.1f} ms, p99 {pct(snap, 0.99):.1f} ms; on open connections "
            f"p50 {pct(again, 0.5):.1f} ms, p99 {pct(again, 0.99):.1f} ms"
        )
    print()
    print("== connections held, then a reconnect storm")
    for label, run in (("Argus", argus), ("baseline", base)):
        c = run["connections"]
        print(
            f"{label:>9}: held {c['held']}/{args.connections} (failed {c['failed']}) opened in {c['open_s']:.1f} s, "
            f"server RSS {c['rss']:.0f} MB ({c['kb_per_conn']:.0f} KB/connection), one push reached "
            f"{c['pushed_to']}; storm {c['storm_ok']}/{c['storm']} reconnected in {c['storm_s']:.1f} s "
            f"(failed {c['storm_failed']}), snapshot p50 {c['storm_p50']:.0f} ms p99 {c['storm_p99']:.0f} ms; "
            f"alive after {c['alive']}"
        )
        if c["errors"] or c["storm_errors"]:
            print(f"           errors: {c['errors'] + c['storm_errors']}")
    if stall:
        print()
        print("== clients that stop reading (Argus)")
        dropped = f"{stall['dropped_after']:.0f} s" if stall["dropped_after"] is not None else "not within the run"
        print(
            f"{stall['stalled']} stalled clients x {stall['symbols']} symbols (whole quotes): "
            f"{stall['per_client_mb']:.2f} MB server RSS each at peak, dropped by the server after {dropped}; "
            f"a reading client on the same symbols got {stall['reading_received']}/{stall['reading_expected']} "
            f"pushes, gaps {stall['reading_gaps']}, p99 {stall['reading_p99']:.1f} ms"
        )


def run_server(
    label: str,
    cmd: list[str],
    env: dict[str, str],
    port: int,
    pub: Any,
    symbols: list[str],
    key: str,
    args: argparse.Namespace,
    store: redis.Redis,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    print(f"== {label}", flush=True)
    target = Target("127.0.0.1", port, headers={"Origin": "http://localhost", "X-API-Key": key})
    stall = None
    with server(cmd, env, port) as pgid:
        idle = group_rss_mb(pgid)
        # First, on a fresh server: memory freed by the later scenarios would hide a stalled
        # client's cost (the allocator reuses it without growing RSS).
        if label == "Argus" and args.stall_seconds > 0:
            print("    clients that stop reading ...", flush=True)
            stall = stalled(
                target, pub, symbols[:200], count=args.stalled, seconds=args.stall_seconds, rate=2000, pgid=pgid
            )
        clients = Clients(target, args.client_processes)
        try:
            # Subscribe round trips on a calm server (before the ramp overloads it), with the
            # handshake's key check and without.
            pub.send(("run", {"symbols": symbols[: args.symbols], "rate": args.symbols / 0.2, "seconds": 0.2}))
            pub.recv()  # every symbol has a latest quote, so snapshots are not empty
            specs = [{"symbols": symbols[: args.per_client], "fields": FIELDS}] * args.clients
            # Warm-up: each worker's first handshakes open its database and Redis connections.
            clients.open(specs[:100], concurrency=50)
            clients.call("close")
            snap = clients.open(specs, concurrency=50)["snapshot_ms"]
            # And on those open connections (no handshake, no key check): 10 more symbols each.
            more = [{"symbols": symbols[args.per_client : 2 * args.per_client], "fields": FIELDS}] * args.clients
            snap_open = clients.spread("resubscribe", more, concurrency=50)["snapshot_ms"]
            clients.call("close")
            rows = fanout(
                clients,
                pub,
                symbols[: args.symbols],
                n_clients=args.clients,
                per_client=args.per_client,
                rates=args.rates,
                seconds=args.seconds,
                pgid=pgid,
                store=store,
            )
            print(f"    holding {args.connections} connections ...", flush=True)
            held = connections(
                clients,
                pub,
                symbols[: args.symbols],
                count=args.connections,
                storm=args.storm,
                pgid=pgid,
                idle_rss=idle,
            )
        finally:
            clients.stop()
    return {"fanout": rows, "snapshot_ms": snap, "snapshot_open_ms": snap_open, "connections": held}, stall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--per-client", type=int, default=10)
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument(
        "--rates",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[2500, 5000, 10000, 20000, 40000, 80000, 120000, 160000],
    )
    parser.add_argument("--seconds", type=float, default=6.0, help="publishing time per rate")
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--storm", type=int, default=2000)
    parser.add_argument("--stalled", type=int, default=10)
    parser.add_argument("--stall-seconds", type=float, default=60.0)
    parser.add_argument("--client-processes", type=int, default=2)
    args = parser.parse_args()

    admin = psycopg.connect(PG_ADMIN, autocommit=True)
    admin.execute(f'CREATE DATABASE "{TAG}"')
    store = redis.Redis.from_url(REDIS_URL)
    port, base_port = free_port(), free_port()
    env = server_env(port, fast_path=True)
    env.update(
        ARGUS_WS_MAX_CONNECTIONS=str(args.connections),  # per process; the default (1000) is the spec's
        ARGUS_RATE_LIMIT_WEBSOCKET="1000000000",  # one load generator is one client: its handshakes are not a flood
        ARGUS_WS_HEARTBEAT_INTERVAL="120",
    )
    pub = None
    try:
        for step in (["migrate", "--noinput"], ["createcachetable"], ["load_reference_data"]):
            manage(*step, env=env)
        created = subprocess.run(
            [
                PYTHON,
                "manage.py",
                "shell",
                "-c",
                "from monitoring.services.apikeys import api_key_create;"
                "print(api_key_create(name='bench', scopes=['market_data:read'])[1])",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        key = created.stdout.strip().splitlines()[-1]
        with psycopg.connect(env["DATABASE_URL"]) as db:
            symbols = [r[0] for r in db.execute("SELECT symbol FROM marketdata_instrument ORDER BY symbol LIMIT 200")]
        ctx = mp.get_context("spawn")
        pub, child = ctx.Pipe()
        publisher_proc = ctx.Process(target=publisher, args=(child, env), daemon=True)
        publisher_proc.start()

        serve = [PYTHON, "manage.py", "serve", "--workers", str(args.workers)]
        argus, stall = run_server("Argus", serve, env, port, pub, symbols, key, args, store)
        baseline = uvicorn_command(
            "bench.baseline_ws:app",
            port=base_port,
            workers=args.workers,
            extra=("--ws-per-message-deflate", "false", "--ws-ping-interval", "120"),
        )
        base_env = {**os.environ, "BENCH_REDIS_URL": REDIS_URL, "BENCH_STREAM_PREFIX": f"{TAG}:v1:stream"}
        base, _ = run_server("baseline", baseline, base_env, base_port, pub, symbols, key, args, store)
        report(argus, base, stall, args)
    finally:
        if pub is not None:
            with contextlib.suppress(Exception):
                pub.send(("exit", {}))
                pub.recv()
        for found in store.scan_iter(match=f"{TAG}:*", count=1000):
            store.delete(found)
        with contextlib.suppress(Exception):
            admin.execute(f'DROP DATABASE IF EXISTS "{TAG}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
