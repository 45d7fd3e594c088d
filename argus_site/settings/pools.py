"""Connection pools to upstream Argus nodes: the user guide's defaults for new pools, and their probes."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from argus_site.settings.topology import cfg

POOL_MIN_SIZE = cfg.integer("POOL_MIN_SIZE", 5, minimum=0)
POOL_MAX_SIZE = cfg.integer("POOL_MAX_SIZE", 50, minimum=1)
POOL_TIMEOUT = cfg.number("POOL_TIMEOUT", 30.0, minimum=0.1)
POOL_AUTO_SCALE = cfg.flag("POOL_AUTO_SCALE", True)
POOL_SCALE_THRESHOLD = cfg.number("POOL_SCALE_THRESHOLD", 0.8, minimum=0.0)
POOL_HEALTH_CHECK_INTERVAL = cfg.number("POOL_HEALTH_CHECK_INTERVAL", 60.0, minimum=1.0)
POOL_MAX_IDLE_TIME = cfg.number("POOL_MAX_IDLE_TIME", 300.0, minimum=0.0)
POOL_SCALE_FACTOR = cfg.number("POOL_SCALE_FACTOR", 1.5, minimum=1.0)
if POOL_MIN_SIZE > POOL_MAX_SIZE:
    raise ImproperlyConfigured(f"POOL_MIN_SIZE={POOL_MIN_SIZE} is larger than POOL_MAX_SIZE={POOL_MAX_SIZE}")

# Health probes: timeout (capped by the pool's timeout), and data freshness during trading hours.
ARGUS_POOL_HEALTH_TIMEOUT = cfg.number("ARGUS_POOL_HEALTH_TIMEOUT", 5.0, minimum=0.1)
ARGUS_POOL_MAX_DATA_AGE = cfg.number("ARGUS_POOL_MAX_DATA_AGE", 120.0, minimum=1.0)
ARGUS_POOL_PROBE_SYMBOL = cfg.text("ARGUS_POOL_PROBE_SYMBOL", "000001.SZ")
# Sent as X-API-Key to upstream nodes whose API keys are enabled.
ARGUS_POOL_API_KEY = cfg.text("ARGUS_POOL_API_KEY", "")

# Internal tuning: how often a process compares its pool config with the shared version token; with
# Redis, how often it publishes its measurements, and when published ones count as gone (seconds).
ARGUS_POOL_SYNC_INTERVAL = 1.0
ARGUS_POOL_PUBLISH_INTERVAL = 2.0
ARGUS_POOL_METRICS_STALE = 10.0
