"""The feed's probe for /health (registered under details.feed by streaming/apps.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from cachemgr.keys import feed_status_key
from cachemgr.services.backends import l2_value
from core import clock
from monitoring.services.health import Probe
from streaming import get_store
from streaming.services.feed import WANTED_SECONDS
from streaming.services.feed import feed_status as stream_status


def feed_status() -> dict[str, Any] | None:
    """What the feed wrote after its last poll (cachemgr.keys.feed_status_key()), or None.

    Raises L2Unavailable while Redis is failing (then the stream's status is not asked either).
    """
    status: dict[str, Any] | None = l2_value(feed_status_key())
    return status


START_A_FEED = "start a feed: Celery worker and beat (make prod), or manage.py feed; the embedded server runs its own"


def feed_wanted() -> str | None:
    """What a feed is due for now ('N subscribed symbols', 'the whole market'), or None."""
    if settings.ARGUS_FEED_WHOLE_MARKET:
        return "the whole market (ARGUS_FEED_WHOLE_MARKET)"
    count = len(get_store().wanted_symbols(WANTED_SECONDS))
    return f"{count} subscribed symbol{'s' if count != 1 else ''}" if count else None


def _feed_poll_probe() -> Probe:
    status = feed_status()
    if not status:
        wanted = feed_wanted()
        if wanted:
            # Something should be moving and nothing is: no feed process, no Celery worker or beat.
            return Probe("degraded", f"no feed has polled, though {wanted} are followed: {START_A_FEED}", 0.0)
        return Probe("unknown", "the feed has not reported a poll yet (nothing is subscribed, so none is due)", 0.0)
    age = round(clock.timestamp() - float(status.get("last_poll", 0)), 3)
    if age > settings.ARGUS_FEED_STALE_AFTER:
        limit = settings.ARGUS_FEED_STALE_AFTER
        return Probe("degraded", f"last poll {age:.0f} s ago (limit {limit:g} s): {START_A_FEED}", 0.0)
    if status.get("error"):
        return Probe("degraded", f"last poll failed: {status['error']}", 0.0)
    return Probe("healthy", f"last poll {age:.1f} s ago from {status.get('source', '?')}", 0.0)


def probe_feed() -> Probe:
    """The feed's freshness (its last poll, fresh within ARGUS_FEED_STALE_AFTER) and the stream's own status."""
    try:
        polled = _feed_poll_probe()
        symbols = stream_status()
    except Exception as exc:
        return Probe("unknown", f"feed status unreadable: {exc}", 0.0, {"stream": {"stale": None, "detail": str(exc)}})
    if symbols.get("stale"):
        listed = ", ".join(symbols.get("stale_symbols", [])[:10])
        degraded = f"{symbols.get('stale_count')} stale symbols: {listed}; {polled.detail}"
        return Probe("degraded", degraded, 0.0, {"stream": symbols})
    if polled.status == "unknown":
        return Probe("healthy", "no stale symbols", 0.0, {"stream": symbols})
    return Probe(polled.status, polled.detail, 0.0, {"stream": symbols})
