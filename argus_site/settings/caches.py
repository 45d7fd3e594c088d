"""The three cache levels: L1 process memory (cachemgr), L2 Django's "default" cache, L3 the "l3" table.

L2 is django-redis in production and locmem in the embedded default; TTLs per kind of data live in
the CacheRule rows (seeded from the user guide's TTL classes below), not here.
"""

from __future__ import annotations

from typing import Any

from argus_site.settings.topology import ARGUS_NAMESPACE, REDIS_URL, USE_REDIS, cfg

CACHE_TTL_DEFAULT = cfg.integer("CACHE_TTL_DEFAULT", 300, minimum=1)
# The user guide's TTL classes: they seed LATEST_DATA, HISTORY_DATA and BASIC_INFO's TTLs when the
# rules are first created (cachemgr/migrations/0002); edit the rules afterwards. Cold is also L3's
# default expiry.
ARGUS_CACHE_TTL_HOT = cfg.integer("ARGUS_CACHE_TTL_HOT", 30, minimum=1)
ARGUS_CACHE_TTL_WARM = cfg.integer("ARGUS_CACHE_TTL_WARM", 300, minimum=1)
ARGUS_CACHE_TTL_COLD = cfg.integer("ARGUS_CACHE_TTL_COLD", 3600, minimum=1)
ARGUS_REDIS_MAX_CONNECTIONS = cfg.integer("ARGUS_REDIS_MAX_CONNECTIONS", 200, minimum=1)

# L1 is each process's own memory: bounded by entries and by bytes (pickled size of the values).
ARGUS_CACHE_L1_MAX_ENTRIES = cfg.integer("ARGUS_CACHE_L1_MAX_ENTRIES", 20000, minimum=1)
ARGUS_CACHE_L1_MAX_MB = cfg.number("ARGUS_CACHE_L1_MAX_MB", 64.0, minimum=0.01)

# Internal tuning (named here so tests can shorten them; no operator needs to):
# with Redis, another process (the feed) may replace an entry: an L1 copy is re-read from L2 after
# this many seconds. Without Redis all writes go through the one process, so the TTL alone rules.
ARGUS_CACHE_L1_REFRESH = 1.0
# How often each process publishes its counters and checks for rule changes (Redis only).
ARGUS_CACHE_SYNC_INTERVAL = 1.0
# After a Redis error, L2 is skipped for this long before one request tries it again.
ARGUS_CACHE_L2_RETRY = 2.0
# optimize drops L1 entries nobody has read for this long.
ARGUS_CACHE_COLD_SECONDS = 600.0

_l2: dict[str, Any]
if USE_REDIS:
    _l2 = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "TIMEOUT": CACHE_TTL_DEFAULT,
        "KEY_PREFIX": ARGUS_NAMESPACE,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "CONNECTION_POOL_KWARGS": {"max_connections": ARGUS_REDIS_MAX_CONNECTIONS},
            "SOCKET_CONNECT_TIMEOUT": 1,
            "SOCKET_TIMEOUT": 1,
        },
    }
else:
    _l2 = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "argus-l2",
        "TIMEOUT": CACHE_TTL_DEFAULT,
        "KEY_PREFIX": ARGUS_NAMESPACE,
    }
CACHES = {
    "default": _l2,
    "l3": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "argus_cache_l3",
        "TIMEOUT": ARGUS_CACHE_TTL_COLD,
        "KEY_PREFIX": ARGUS_NAMESPACE,
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}
