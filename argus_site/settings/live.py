"""Live quotes and periodic work: the feed, the WebSocket stream, the periodic-job table, Celery."""

from __future__ import annotations

from typing import Any

from argus_site.settings.pools import POOL_HEALTH_CHECK_INTERVAL
from argus_site.settings.topology import ARGUS_NAMESPACE, REDIS_URL, USE_REDIS, VAR_DIR, cfg

# --- The feed ---
ARGUS_FEED_INTERVAL = cfg.number("ARGUS_FEED_INTERVAL", 3.0, minimum=0.1)
ARGUS_FEED_BATCH_SIZE = cfg.integer("ARGUS_FEED_BATCH_SIZE", 100, minimum=1)
# Poll every listed instrument, not only the symbols someone subscribes to.
ARGUS_FEED_WHOLE_MARKET = cfg.flag("ARGUS_FEED_WHOLE_MARKET", False)
# A symbol with no new tick for this many feed intervals during a session is marked stale.
ARGUS_FEED_STALE_INTERVALS = cfg.number("ARGUS_FEED_STALE_INTERVALS", 2.0, minimum=1.0)
# /health calls the feed stale when its last poll is older than this.
ARGUS_FEED_STALE_AFTER = cfg.number("ARGUS_FEED_STALE_AFTER", max(30.0, 5 * ARGUS_FEED_INTERVAL), minimum=1.0)
# The push feed (`manage.py feed --mode push`) keeps the latest tick of at most this many symbols
# between two drains into the ingest; ticks of further symbols wait for their next push.
ARGUS_FEED_PUSH_BUFFER = cfg.integer("ARGUS_FEED_PUSH_BUFFER", 10000, minimum=1)

# --- The tick recorder (streaming/recorder.py): every accepted tick, to Parquet per trading day and symbol ---
ARGUS_RECORDER_ENABLED = cfg.flag("ARGUS_RECORDER_ENABLED", True)
# May be a shared filesystem path: the web processes read what the feed process writes.
ARGUS_RECORDER_DIR = cfg.text("ARGUS_RECORDER_DIR") or str(VAR_DIR / "recorder")
# At most this many seconds of ticks are lost when the recording process is killed.
ARGUS_RECORDER_FLUSH_SECONDS = cfg.number("ARGUS_RECORDER_FLUSH_SECONDS", 2.0, minimum=0.05)
# Each flush writes one segment of every symbol; this often (and at shutdown) the segments are
# rewritten as one file per symbol (a day's archive is then a few files per symbol, not thousands).
ARGUS_RECORDER_COMPACT_SECONDS = cfg.number("ARGUS_RECORDER_COMPACT_SECONDS", 600.0, minimum=1.0)
# Days kept (a recorded day older than this many calendar days is deleted) and the archive's disk
# bound (past it the oldest days go first; today is never deleted).
ARGUS_RECORDER_RETENTION_DAYS = cfg.integer("ARGUS_RECORDER_RETENTION_DAYS", 30, minimum=1)
ARGUS_RECORDER_MAX_MB = cfg.integer("ARGUS_RECORDER_MAX_MB", 5120, minimum=1)

# --- /ws/market_data (client messages per minute: the "websocket" rate class, security.py) ---
ARGUS_REPLAY_BUFFER_SIZE = cfg.integer("ARGUS_REPLAY_BUFFER_SIZE", 10000, minimum=1)
ARGUS_WS_MAX_CONNECTIONS = cfg.integer("ARGUS_WS_MAX_CONNECTIONS", 1000, minimum=1)
ARGUS_WS_HEARTBEAT_INTERVAL = cfg.number("ARGUS_WS_HEARTBEAT_INTERVAL", 30.0, minimum=1.0)
# WebSocket permessage-deflate (the user guide's "compression: gzip", "compression_level: 6"): the
# zlib level used when a client offers the extension in its handshake; clients that do not offer it
# get uncompressed frames (small JSON frames gain little). 0: never negotiated.
ARGUS_WS_COMPRESSION_LEVEL = min(9, cfg.integer("ARGUS_WS_COMPRESSION_LEVEL", 6, minimum=0))
ARGUS_WS_MAX_SYMBOLS = cfg.integer("ARGUS_WS_MAX_SYMBOLS", 200, minimum=1)
ARGUS_WS_MAX_MESSAGE_BYTES = cfg.integer("ARGUS_WS_MAX_MESSAGE_BYTES", 65536, minimum=256)
# Pushes queued per connection before it is conflated (latest quote per symbol) ...
ARGUS_WS_SEND_QUEUE = cfg.integer("ARGUS_WS_SEND_QUEUE", 1000, minimum=1)
# ... and how long it may stay conflated before it is closed with code 4008.
ARGUS_WS_SLOW_CLIENT_TIMEOUT = cfg.number("ARGUS_WS_SLOW_CLIENT_TIMEOUT", 20.0, minimum=1.0)

# --- Periodic jobs: one table for Celery beat and for the embedded in-process scheduler ---
ARGUS_CACHE_OPTIMIZE_INTERVAL = cfg.number("ARGUS_CACHE_OPTIMIZE_INTERVAL", 300.0, minimum=1.0)
ARGUS_ALERT_INTERVAL = cfg.number("ARGUS_ALERT_INTERVAL", 60.0, minimum=1.0)
# The calendar re-syncs its layers daily (a new exchange-calendars, the source's holidays, imports).
ARGUS_CALENDAR_SYNC_INTERVAL = cfg.number("ARGUS_CALENDAR_SYNC_INTERVAL", 86400.0, minimum=60.0)
ARGUS_PERIODIC_JOBS: dict[str, dict[str, Any]] = {
    "feed-poll": {"task": "streaming.tasks.feed_poll", "interval": ARGUS_FEED_INTERVAL},
    "pools-health-check": {"task": "pools.tasks.pools_health_check", "interval": POOL_HEALTH_CHECK_INTERVAL},
    "cache-optimize": {"task": "cachemgr.tasks.cache_optimize", "interval": ARGUS_CACHE_OPTIMIZE_INTERVAL},
    "alerts-evaluate": {"task": "monitoring.tasks.alerts_evaluate", "interval": ARGUS_ALERT_INTERVAL},
    "calendar-sync": {
        "task": "marketdata.tasks.calendar_sync",
        "interval": ARGUS_CALENDAR_SYNC_INTERVAL,
        "immediate": False,
    },
}

# --- Celery (production: Redis broker, one worker pool, exactly one beat) ---
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not USE_REDIS
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{ARGUS_NAMESPACE}:celery:"}
CELERY_BEAT_SCHEDULE = {
    name: {"task": job["task"], "schedule": job["interval"], "options": {"expires": job["interval"]}}
    for name, job in ARGUS_PERIODIC_JOBS.items()
}
