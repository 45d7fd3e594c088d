"""The live pool of one process: keep-alive connections per node, capacity, balancing, retry, measurements.

Each node gets an httpcore connection pool (HTTP/1.1 keep-alive; idle connections are closed after
max_idle_time). The pool's `size` caps how many requests this process runs through it at once;
every request holds exactly one connection while it runs, so active connections = requests in flight.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpcore
import orjson
from django.conf import settings

from core import clock
from pools.balancing import BALANCERS, Balancer
from pools.window import Window

logger = logging.getLogger("argus.pools")

TRANSPORT_ERRORS = (httpcore.NetworkError, httpcore.TimeoutException, httpcore.ProtocolError)
TIMEOUT_FAILURE = "timed out"
# A kept-alive connection the node closed while idle (uvicorn closes them after 5 s) can fail the very
# request that reuses it, when the close crosses the send: the request never reached the application.
# Such a failure of an idempotent request is retried once on the same node (a fresh connection) before
# it counts against the node; urllib3 and browsers do the same.
STALE_CONNECTION_ERRORS = (httpcore.ReadError, httpcore.WriteError, httpcore.RemoteProtocolError)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class PoolUnavailable(Exception):
    """No node of the pool could answer; `details` names every node tried and why it failed.

    Carries the spec's code for the API layer (as a data source's errors do); the `upstream` source
    turns it into its own SourceUnavailable.
    """

    error_code = "SERVICE_UNAVAILABLE"
    http_status = 503

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self.details = details
        self.headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}


class PoolTimeout(PoolUnavailable):
    """Every node tried was past the pool's deadline (`timeout`): the spec's TIMEOUT, 504."""

    error_code = "TIMEOUT"
    http_status = 504


# A client told 503 retries after this many seconds: a node ejected after a failure is retried
# after min(health_check_interval, 30 s), and a health check usually restores it sooner.
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True, slots=True)
class NodeSpec:
    host: str
    port: int
    weight: float
    max_connections: int
    healthy: bool
    last_health_check: datetime | None

    @property
    def key(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class PoolSpec:
    name: str
    size: int
    min_size: int
    max_size: int
    timeout: float
    max_idle_time: float
    health_check_interval: float
    strategy: str
    nodes: tuple[NodeSpec, ...]


@dataclass(frozen=True, slots=True)
class PoolResponse:
    node: str
    status: int
    content: bytes
    elapsed_ms: float

    def json(self) -> Any:
        return orjson.loads(self.content)


@dataclass
class LiveNode:
    spec: NodeSpec
    http: httpcore.ConnectionPool
    active: int = 0
    ejected_at: float | None = None  # wall time of a failed request; out of rotation for a while
    window: Window = field(default_factory=Window)

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def weight(self) -> float:
        return self.spec.weight

    def idle_connections(self) -> int:
        """Keep-alive connections open and unused (ones the server already closed do not count)."""
        return sum(1 for c in self.http.connections if c.is_idle() and not c.has_expired())


class LivePool:
    """One process's pool for one PoolConfig row."""

    def __init__(self, spec: PoolSpec) -> None:
        self._cond = threading.Condition()
        self.active = 0
        self.nodes: dict[str, LiveNode] = {}
        self.window = Window()
        self._busy_mark = time.monotonic()
        self.spec = spec
        self.balancer: Balancer = BALANCERS[spec.strategy]()
        self.apply(spec)

    def apply(self, spec: PoolSpec) -> None:
        """Take a newer config: sizes, strategy and nodes; connections to kept nodes stay open."""
        with self._cond:
            if spec.strategy != self.spec.strategy:
                self.balancer = BALANCERS[spec.strategy]()
            wanted = {node.key: node for node in spec.nodes}
            for key in [k for k in self.nodes if k not in wanted]:
                self.nodes.pop(key).http.close()
            for key, node_spec in wanted.items():
                live = self.nodes.get(key)
                if live is None or live.spec.max_connections != node_spec.max_connections:
                    if live is not None:
                        live.http.close()
                    live = self.nodes[key] = LiveNode(node_spec, self._connections(node_spec))
                checked = node_spec.last_health_check
                if live.ejected_at and node_spec.healthy and checked and checked.timestamp() > live.ejected_at:
                    live.ejected_at = None  # a health check passed after the failure
                live.spec = node_spec
            self.spec = spec
            self._cond.notify_all()

    def _connections(self, node: NodeSpec) -> httpcore.ConnectionPool:
        return httpcore.ConnectionPool(
            max_connections=node.max_connections,
            max_keepalive_connections=node.max_connections,
            keepalive_expiry=self.spec.max_idle_time,
        )

    def close(self) -> None:
        with self._cond:
            for node in self.nodes.values():
                node.http.close()

    # --- requests --------------------------------------------------------------------------

    def request(self, method: str, path: str, params: dict[str, Any] | None = None) -> PoolResponse:
        """Send one request to a healthy node, retried once on another node if it fails."""
        self._acquire()
        tried: list[str] = []
        timed_out = 0
        try:
            for _ in range(2):
                node = self._choose(exclude={t.split(" ", 1)[0] for t in tried})
                if node is None:
                    break
                outcome = self._send(node, method, path, params)
                if isinstance(outcome, PoolResponse):
                    return outcome
                tried.append(f"{node.key} {outcome}")
                timed_out += outcome.startswith(TIMEOUT_FAILURE)
        finally:
            self._release()
        if not tried:
            raise PoolUnavailable(f"pool '{self.spec.name}': no healthy node to send {path} to")
        if timed_out == len(tried):
            raise PoolTimeout(
                f"pool '{self.spec.name}': {path} passed the pool's {self.spec.timeout} s deadline on "
                + "; ".join(tried)
            )
        raise PoolUnavailable(f"pool '{self.spec.name}': {path} failed on " + "; ".join(tried))

    def _acquire(self) -> None:
        deadline = time.monotonic() + self.spec.timeout
        with self._cond:
            while self.active >= self.spec.size:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PoolUnavailable(
                        f"pool '{self.spec.name}': all {self.spec.size} connections busy for {self.spec.timeout} s"
                    )
                self._cond.wait(remaining)
            self._mark_busy()
            self.active += 1

    def _release(self) -> None:
        with self._cond:
            self._mark_busy()
            self.active -= 1
            self._cond.notify()

    def _mark_busy(self) -> None:
        """Integrate connections-in-use over time (utilisation is measured from this)."""
        now = time.monotonic()
        self.window.add_busy(self.active * (now - self._busy_mark))
        self._busy_mark = now

    def _choose(self, *, exclude: set[str]) -> LiveNode | None:
        cooldown = min(self.spec.health_check_interval, 30.0)
        now = clock.timestamp()
        with self._cond:
            candidates = [
                node
                for key, node in self.nodes.items()
                if key not in exclude
                and node.spec.healthy
                and (node.ejected_at is None or now - node.ejected_at > cooldown)
                and node.active < node.spec.max_connections
            ]
            if not candidates:
                return None
            chosen = self.balancer.pick(candidates)
            chosen.active += 1
            return chosen

    def _send(self, node: LiveNode, method: str, path: str, params: dict[str, Any] | None) -> PoolResponse | str:
        url = f"http://{node.key}{path}" + (f"?{urlencode(params)}" if params else "")
        headers = [(b"Accept", b"application/json")]
        if settings.ARGUS_POOL_API_KEY:
            headers.append((b"X-API-Key", settings.ARGUS_POOL_API_KEY.encode()))
        timeout = self.spec.timeout
        started = time.perf_counter()
        failure: str | None = None
        try:
            response = self._once_more_if_stale(node, method, url, headers, timeout)
            if response.status >= 500:
                failure = f"HTTP {response.status}"
        except httpcore.TimeoutException as exc:
            failure = f"{TIMEOUT_FAILURE} ({type(exc).__name__}: {exc})".replace(": )", ")")
        except TRANSPORT_ERRORS as exc:
            failure = f"{type(exc).__name__}: {exc}".rstrip(": ")
        finally:
            with self._cond:
                node.active -= 1
        ms = (time.perf_counter() - started) * 1000
        node.window.record(ms, ok=failure is None)
        self.window.record(ms, ok=failure is None)
        if failure is not None:
            node.ejected_at = clock.timestamp()
            logger.warning(
                "pool %s: %s %s failed on %s (%s); node out of rotation",
                self.spec.name,
                method,
                path,
                node.key,
                failure,
            )
            return failure
        return PoolResponse(node.key, response.status, response.content, round(ms, 3))

    def _once_more_if_stale(
        self, node: LiveNode, method: str, url: str, headers: list[tuple[bytes, bytes]], timeout: float
    ) -> httpcore.Response:
        extensions = {"timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}}
        try:
            return node.http.request(method, url, headers=headers, extensions=extensions)
        except STALE_CONNECTION_ERRORS as exc:
            if method.upper() not in IDEMPOTENT_METHODS:
                raise
            logger.info(
                "pool %s: %s on a kept-alive connection to %s; once more", self.spec.name, type(exc).__name__, node.key
            )
            return node.http.request(method, url, headers=headers, extensions=extensions)

    # --- measurements ---------------------------------------------------------------------

    @property
    def used(self) -> bool:
        """Whether this process sent anything through the pool within the measurement window."""
        return self.active > 0 or bool(self.window.export())

    def snapshot(self) -> dict[str, Any]:
        """What this process measures now (published for other processes to sum)."""
        with self._cond:
            self._mark_busy()
            nodes = {
                key: {
                    "active": node.active,
                    "idle": node.idle_connections(),
                    "window": node.window.export(),
                    "started": node.window.started,
                }
                for key, node in self.nodes.items()
            }
            return {
                "measured_at": clock.timestamp(),
                "size": self.spec.size,
                "active": self.active,
                "idle": sum(n["idle"] for n in nodes.values()),
                "window": self.window.export(),
                "started": self.window.started,
                "nodes": nodes,
            }
