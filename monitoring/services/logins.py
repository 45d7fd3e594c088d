"""Admin login lockout: after ARGUS_ADMIN_LOGIN_ATTEMPTS failed logins from one address within
ARGUS_ADMIN_LOCKOUT_SECONDS, that address may not try again until the window closes.

Failures are counted per client address in the shared rate-limit store (the "admin_login" class, so
every process sees them); each failure and each lockout is logged on `argus.security`. Counted per
address rather than per user name, so nobody can lock the operator out of their own account from
elsewhere.
"""

from __future__ import annotations

import logging
from typing import Any

from monitoring.services.ratelimit import RateDecision, rate_limit_hit, rate_limit_peek

logger = logging.getLogger("argus.security")
RATE_CLASS = "admin_login"


def _client(ip: str | None) -> str:
    return f"ip:{ip or 'unknown'}"


def login_lockout(ip: str | None) -> RateDecision | None:
    """The lockout in force for `ip` (allowed False), else None."""
    standing = rate_limit_peek(_client(ip), RATE_CLASS)
    return standing if standing is not None and not standing.allowed else None


def login_failed(ip: str | None, username: str) -> None:
    """Count one failed login; log it, and the lockout it starts."""
    decision = rate_limit_hit(_client(ip), RATE_CLASS)
    left = decision.remaining if decision is not None else None
    logger.warning("admin login failed for %r from %s (%s attempts left)", username, ip, left)
    if decision is not None and decision.remaining == 0:
        logger.warning("admin logins from %s locked out for %d s", ip, decision.reset_seconds)


def on_user_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any) -> None:
    """django.contrib.auth's user_login_failed signal (connected by monitoring/apps.py)."""
    if request is None or not request.path.startswith("/admin/"):
        return
    login_failed(request.META.get("REMOTE_ADDR"), str(credentials.get("username", "")))
