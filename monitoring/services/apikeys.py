"""API keys: creation (the raw key is returned once), revocation, and authentication of a raw key.

A raw key is `ak_<8 hex prefix>_<43 url-safe chars>` (32 random bytes). Only its SHA-256 is stored;
the prefix finds the row, a constant-time comparison of digests decides.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from django.db import transaction

from core import clock
from monitoring.models import ApiKey, Scope

KEY_PATTERN = re.compile(r"^ak_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$")
# last_used_at is written at most this often per key, so busy keys do not write on every request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def api_key_digest(raw_key: str) -> str:
    """What is stored of a key (and what handshake caches remember): its SHA-256."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, name: str, scopes: Iterable[str]) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the raw key, which is never stored or shown again."""
    wanted = sorted(set(scopes))
    unknown = set(wanted) - set(Scope.values)
    if unknown:
        raise ValueError(f"unknown scopes {sorted(unknown)}; use {Scope.values}")
    with transaction.atomic():
        while True:
            prefix = secrets.token_hex(4)
            if not ApiKey.objects.filter(prefix=prefix).exists():
                break
        raw = f"ak_{prefix}_{secrets.token_urlsafe(32)}"
        key = ApiKey.objects.create(name=name, prefix=prefix, digest=api_key_digest(raw), scopes=wanted)
    return key, raw


def api_key_assign_secret(key: ApiKey) -> str:
    """Give an unsaved admin-built row its prefix and digest; returns the raw key to show once."""
    prefix = secrets.token_hex(4)
    raw = f"ak_{prefix}_{secrets.token_urlsafe(32)}"
    key.prefix, key.digest = prefix, api_key_digest(raw)
    return raw


def api_key_revoke(key: ApiKey) -> None:
    """Revoke a key; the next request that presents it is refused, in every process."""
    key.revoked_at = clock.now()
    key.save(update_fields=["revoked_at"])


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, or None (unknown, malformed or revoked)."""
    match = KEY_PATTERN.match(raw_key or "")
    if match is None:
        return None
    key = ApiKey.objects.filter(prefix=match.group(1), revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.digest, api_key_digest(raw_key)):
        return None
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def raw_key_from_headers(authorization: str | None, x_api_key: str | None, query: str = "") -> str | None:
    """The key a client sent: `Authorization: Bearer`, `X-API-Key`, or `api_key` in the query."""
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    if x_api_key:
        return x_api_key.strip() or None
    if query and "api_key=" in query:
        values = parse_qs(query).get("api_key")
        return values[0] if values else None
    return None


def api_key_from_scope(scope: Mapping[str, Any]) -> str | None:
    """The raw key of an ASGI scope (WebSocket handshake): headers first, then `?api_key=`."""
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
    query = scope.get("query_string", b"")
    return raw_key_from_headers(
        headers.get("authorization"),
        headers.get("x-api-key"),
        query.decode("latin-1") if isinstance(query, bytes) else str(query),
    )
