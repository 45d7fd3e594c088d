"""The rules of one decision per request: key, scope, limit.

The edge (monitoring/edge.py) applies them to every request and WebSocket handshake that reaches
the ASGI application; `request_guard` is the same decision for a request that reaches Django
without the edge (the WSGI entry point, Django's test client), taken by the middleware only then.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from monitoring.services.apikeys import api_key_authenticate
from monitoring.services.ratelimit import RateDecision, rate_limit_hit


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
    over_limit_refusal(policy, decision)
    return GuardResult(api_key, decision)


def over_limit_refusal(policy: Policy, decision: RateDecision | None) -> None:
    """Raise RATE_LIMIT_EXCEEDED when `decision` refused the request."""
    if decision is not None and not decision.allowed:
        raise RateLimitExceeded(
            f"{policy.rate_class} limit is {decision.limit} requests per window; retry in {decision.reset_seconds} s",
            headers=decision.headers(),
        )


def handshake_refusal(decision: RateDecision | None) -> None:
    """Raise RATE_LIMIT_EXCEEDED when a client's WebSocket handshake count is past its limit."""
    if decision is not None and not decision.allowed:
        raise RateLimitExceeded(
            f"too many WebSocket handshakes from this client: at most {decision.limit} per window; "
            f"reconnect in {decision.reset_seconds} s (keep one connection and subscribe on it)",
            headers=decision.headers(),
        )
