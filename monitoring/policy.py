"""One table says, for every request path and method, which rate class and which key scope apply.

Rate classes are the spec's 限流规则 rows (realtime, history, management, websocket). Access is
`open` (never needs a key), `read` (needs a key only in production with ARGUS_REQUIRE_API_KEY on) or
`manage` (always needs a key in production). The first matching row wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitoring.models import Scope

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Policy:
    rate_class: str | None  # None: not rate limited
    scope: str | None  # the scope a presented key must carry
    access: str  # open | read | manage


EXEMPT = Policy(None, None, "open")

# (path prefix, methods or None for any, policy). Cache and pool GETs (stats, config, lists,
# details) are operator reads: the management rate, the area's scope, but no key needed unless
# ARGUS_REQUIRE_API_KEY is on. instrument_detail and trading_dates are small reads counted as
# real-time data; only /history and /recorded_ticks are the history class.
POLICY_TABLE: tuple[tuple[str, frozenset[str] | None, Policy], ...] = (
    ("/health", None, EXEMPT),
    ("/metrics", None, EXEMPT),
    ("/api/v1/metrics/", None, EXEMPT),
    ("/api/v1/market_data/history", None, Policy("history", Scope.MARKET_DATA_READ, "read")),
    # Recorded ticks are bulk reads of a past session, like history.
    ("/api/v1/market_data/recorded_ticks", None, Policy("history", Scope.MARKET_DATA_READ, "read")),
    ("/api/v1/market_data/", None, Policy("realtime", Scope.MARKET_DATA_READ, "read")),
    ("/api/v1/cache/", READ_METHODS, Policy("management", Scope.CACHE_MANAGE, "read")),
    ("/api/v1/cache/", None, Policy("management", Scope.CACHE_MANAGE, "manage")),
    ("/api/v1/connection_pool/", READ_METHODS, Policy("management", Scope.POOLS_MANAGE, "read")),
    ("/api/v1/connection_pool/", None, Policy("management", Scope.POOLS_MANAGE, "manage")),
    ("/ws/market_data", None, Policy("websocket", Scope.MARKET_DATA_READ, "read")),
    ("/mcp", None, Policy("realtime", Scope.MARKET_DATA_READ, "read")),
)


def policy_for(path: str, method: str) -> Policy:
    """The policy of a request; paths outside the table (admin, docs, static) are open and unlimited."""
    for prefix, methods, policy in POLICY_TABLE:
        if path.startswith(prefix) and (methods is None or method.upper() in methods):
            return policy
    return EXEMPT
