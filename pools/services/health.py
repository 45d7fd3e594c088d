"""Node health: probe each node's /health and the freshness of its data, and record the result."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from django.conf import settings

from core import clock
from pools.models import PoolConfig, ServerNode
from pools.registry import pools_changed
from pools.selectors import pool_get

logger = logging.getLogger("argus.pools")

SESSIONS = ((9 * 60 + 30, 11 * 60 + 30), (13 * 60, 15 * 60))


@dataclass(frozen=True)
class Probe:
    ok: bool
    detail: str
    latency_ms: float | None


def _weekday(day: date) -> bool:
    return day.weekday() < 5


# Whether a date is a trading day. Pools know nothing of calendars: the market-data app registers
# its trading calendar here when it loads (marketdata/apps.py); weekdays until then.
_trading_day: Callable[[date], bool] = _weekday


def register_trading_day(check: Callable[[date], bool]) -> None:
    """Use `check(day)` to tell trading days (the freshness probe applies only in sessions)."""
    global _trading_day
    _trading_day = check


def market_in_session(now: datetime) -> bool:
    """Whether the exchange is in continuous trading at `now` (when data must be fresh)."""
    local = now.astimezone(ZoneInfo(settings.ARGUS_EXCHANGE_TZ))
    minute = local.hour * 60 + local.minute
    in_hours = any(start <= minute < end for start, end in SESSIONS)
    return in_hours and _trading_day(local.date())


def _freshness(client: httpx.Client, base: str) -> str | None:
    """Why the node's data is stale, or None: a quote older than ARGUS_POOL_MAX_DATA_AGE."""
    now = clock.now()
    symbol = settings.ARGUS_POOL_PROBE_SYMBOL
    response = client.get(f"{base}/api/v1/market_data/latest", params={"symbols": symbol, "use_cache": "false"})
    if response.status_code == 404:
        return None  # a node without the market-data API cannot be judged on freshness
    body = response.json()
    quote = (body.get("data") or {}).get(symbol)
    if response.status_code != 200 or not quote:
        return f"latest {symbol}: HTTP {response.status_code}"
    if (body.get("source") or {}).get("replayed") is True:
        return None  # a replayed session is stamped with the moment it reproduces: wall-clock age says nothing
    age = (now - datetime.fromisoformat(quote["timestamp"].replace("Z", "+00:00"))).total_seconds()
    if age > settings.ARGUS_POOL_MAX_DATA_AGE:
        return f"stale data: {symbol} quote is {age:.0f} s old during trading hours"
    return None


def node_probe(node: ServerNode, *, timeout: float, check_freshness: bool) -> Probe:
    """GET the node's /health (and, while trading, its data freshness) on a fresh connection."""
    base = f"http://{node.address}"
    started = time.perf_counter()
    try:
        with httpx.Client(timeout=timeout) as client:
            response = client.get(f"{base}/health")
            latency = round((time.perf_counter() - started) * 1000, 3)
            if response.status_code != 200:
                return Probe(False, f"/health answered HTTP {response.status_code}", latency)
            body = response.json()
            source = (body.get("services") or {}).get("xtquant")
            if body.get("status") == "unhealthy" or source != "healthy":
                return Probe(False, f"/health says status={body.get('status')}, data source={source}", latency)
            stale = _freshness(client, base) if check_freshness else None
    except (httpx.HTTPError, ValueError) as exc:
        return Probe(False, f"{type(exc).__name__}: {exc}", None)
    return Probe(stale is None, stale or "healthy", latency)


def _record(pool: PoolConfig, node: ServerNode, probe: Probe, checked: datetime) -> None:
    if node.healthy != probe.ok:
        level = logging.INFO if probe.ok else logging.WARNING
        state = "back in rotation" if probe.ok else "unhealthy, out of rotation"
        logger.log(level, "pool %s: node %s %s (%s)", pool.name, node.address, state, probe.detail)
    node.healthy = probe.ok
    node.last_health_check = checked
    node.response_time_ms = probe.latency_ms
    node.last_error = "" if probe.ok else probe.detail
    node.save(update_fields=["healthy", "last_health_check", "response_time_ms", "last_error"])


def pool_health_check(*, name: str) -> list[ServerNode]:
    """Probe every node of the pool now, store the results and tell every process."""
    pool = pool_get(name=name)
    nodes = list(pool.nodes.all())
    timeout = min(pool.timeout, settings.ARGUS_POOL_HEALTH_TIMEOUT)
    # Decided here, not in the probe threads: the calendar reads the database.
    fresh = market_in_session(clock.now())
    with ThreadPoolExecutor(max_workers=max(1, min(len(nodes), 8))) as executor:
        probes = list(executor.map(lambda n: node_probe(n, timeout=timeout, check_freshness=fresh), nodes))
    checked = clock.now()
    for node, probe in zip(nodes, probes, strict=True):
        _record(pool, node, probe, checked)
    pool.last_health_check = checked
    pool.save(update_fields=["last_health_check"])
    pools_changed()
    return nodes


def pools_due() -> list[str]:
    """Names of pools whose health_check_interval has passed since their last check."""
    now = clock.now()
    return [
        pool.name
        for pool in PoolConfig.objects.all()
        # Half a second of slack so a beat period equal to the interval does not skip every other run.
        if pool.last_health_check is None
        or now - pool.last_health_check >= timedelta(seconds=pool.health_check_interval - 0.5)
    ]
