"""One decision per request, for HTTP (middleware), WebSocket handshakes and MCP: key, scope, limit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError

from core.errors import (
    DATABASE_RETRY_AFTER,
    DatabaseUnavailable,
    Forbidden,
    RateLimitExceeded,
    Unauthorized,
    database_unavailable,
)
from monitoring.models import ApiKey
from monitoring.policy import EXEMPT, Policy, policy_for
from monitoring.services.apikeys import api_key_authenticate, api_key_from_scope, raw_key_from_headers
from monitoring.services.ratelimit import RateDecision, rate_limit_hit, rate_limit_hit_async


@dataclass(frozen=True, slots=True)
class GuardResult:
    api_key: ApiKey | None
    rate: RateDecision | None


def key_required(policy: Policy) -> bool:
    """Whether `policy` needs a key under the current settings (production, ARGUS_REQUIRE_API_KEY)."""
    if settings.ARGUS_AUTH_MODE != "production":
        return False  # the spec's development mode: 暂不需要（开发环境）
    return policy.access == "manage" or (policy.access == "read" and settings.ARGUS_REQUIRE_API_KEY)


def access_check(policy: Policy, raw_key: str | None) -> ApiKey | None:
    """The authenticated key (or None when anonymous access is allowed); raises UNAUTHORIZED/FORBIDDEN."""
    if raw_key is None:
        if key_required(policy):
            raise Unauthorized(
                f"this endpoint needs an API key with scope {policy.scope}; send Authorization: Bearer <key>"
            )
        return None
    try:
        key = api_key_authenticate(raw_key)
    except DatabaseError as exc:
        if not database_unavailable(exc):
            raise
        raise DatabaseUnavailable(
            f"the API key could not be checked: the database cannot be reached; retry in {DATABASE_RETRY_AFTER} s"
        ) from exc
    if key is None:
        raise Unauthorized("the API key is unknown or revoked; ask an operator for a valid key")
    if policy.scope is not None and not key.has_scope(policy.scope):
        raise Forbidden(f"API key '{key.name}' lacks scope {policy.scope} (it has: {', '.join(key.scopes) or 'none'})")
    return key


def client_id(api_key: ApiKey | None, ip: str | None) -> str:
    """Who a rate limit counts: the key if one was presented, else the client's address."""
    return f"key:{api_key.prefix}" if api_key is not None else f"ip:{ip or 'unknown'}"


def request_guard(*, path: str, method: str, raw_key: str | None, ip: str | None) -> GuardResult:
    """Authenticate, authorise and count one request; raises the spec's 401/403/429 errors."""
    policy = policy_for(path, method)
    if policy is EXEMPT:  # probes, scrapes, admin, docs: no key is looked at, nothing is counted
        return GuardResult(None, None)
    api_key = access_check(policy, raw_key)
    if policy.rate_class is None:
        return GuardResult(api_key, None)
    decision = rate_limit_hit(client_id(api_key, ip), policy.rate_class)
    _refuse_over_limit(policy, decision)
    return GuardResult(api_key, decision)


async def anonymous_request_guard(*, path: str, method: str, ip: str | None) -> GuardResult:
    """`request_guard` for a request without a key, in the event loop: no database read, and the
    rate limit is counted without blocking the loop (let through while Redis is failing)."""
    policy = policy_for(path, method)
    if policy is EXEMPT:
        return GuardResult(None, None)
    access_check(policy, None)  # raises UNAUTHORIZED when the policy needs a key
    if policy.rate_class is None:
        return GuardResult(None, None)
    decision = await rate_limit_hit_async(client_id(None, ip), policy.rate_class)
    _refuse_over_limit(policy, decision)
    return GuardResult(None, decision)


def _refuse_over_limit(policy: Policy, decision: RateDecision | None) -> None:
    if decision is not None and not decision.allowed:
        raise RateLimitExceeded(
            f"{policy.rate_class} limit is {decision.limit} requests per window; retry in {decision.reset_seconds} s",
            headers=decision.headers(),
        )


def websocket_authenticate(scope: Mapping[str, Any]) -> ApiKey | None:
    """For the WebSocket consumer's connect(): the handshake's key under /ws/market_data's policy.

    Raises Unauthorized/Forbidden (close the connection, e.g. with code 4401/4403) as for HTTP.
    """
    return access_check(policy_for(str(scope.get("path", "/ws/market_data")), "GET"), api_key_from_scope(scope))


async def websocket_handshake_limit(scope: Mapping[str, Any], key_prefix: str | None) -> RateDecision | None:
    """Count one handshake against /ws/market_data's rate class (the spec's 1000 per minute), per key,
    else per address; raises RATE_LIMIT_EXCEEDED past it. In the event loop: never blocks it."""
    policy = policy_for(str(scope.get("path", "/ws/market_data")), "GET")
    if policy is EXEMPT or policy.rate_class is None:
        return None
    ip = (scope.get("client") or ("", 0))[0]
    client = f"key:{key_prefix}" if key_prefix is not None else f"ip:{ip or 'unknown'}"
    decision = await rate_limit_hit_async(f"handshake:{client}", policy.rate_class)
    if decision is not None and not decision.allowed:
        raise RateLimitExceeded(
            f"too many WebSocket handshakes from this client: at most {decision.limit} per window; "
            f"reconnect in {decision.reset_seconds} s (keep one connection and subscribe on it)",
            headers=decision.headers(),
        )
    return decision


def mcp_guard(headers: Mapping[str, str], client_ip: str) -> None:
    """For ARGUS_MCP_HTTP_GUARD: /mcp behind the same keys and real-time limit as REST (raises ApiError)."""
    raw_key = raw_key_from_headers(headers.get("authorization"), headers.get("x-api-key"))
    request_guard(path="/mcp", method="POST", raw_key=raw_key, ip=client_ip)
