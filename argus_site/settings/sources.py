"""The data source: simulated (the default), files, xtquant, upstream, or a dotted class path.

Each alias gets its own OPTIONS (a dotted path gets none: subclass to configure).
"""

from __future__ import annotations

from typing import Any

from argus_site.settings.config import auth_mode
from argus_site.settings.topology import cfg

_SOURCE = cfg.text("ARGUS_DATA_SOURCE", "simulated")
_SOURCE_OPTIONS: dict[str, dict[str, Any]] = {
    "simulated": {
        "seed": cfg.integer("ARGUS_SIM_SEED", 20240101),
        "universe_size": cfg.integer("ARGUS_SIM_UNIVERSE_SIZE", 4000, minimum=10),
        # replay: the latest trading session shifted to now, so a new user sees a moving market at
        # any hour (embedded, or Redis alone as in the guide's settings.yaml); real: the exchange's
        # own clock, for a deployment (production auth mode: a server database, or chosen).
        "clock": cfg.text("ARGUS_SIM_CLOCK", "real" if auth_mode(cfg) == "production" else "replay"),
    },
    "files": {},
    "xtquant": {
        "host": cfg.text("XTQUANT_HOST", "localhost"),
        "port": cfg.integer("XTQUANT_PORT", 58610, minimum=1),
        "user_id": cfg.text("XTQUANT_USER_ID"),
        # seconds one xtdata call may take before the request answers 504 TIMEOUT
        "timeout": cfg.number("XTQUANT_TIMEOUT", 10.0, minimum=0.1),
    },
    "upstream": {"pool": cfg.text("ARGUS_UPSTREAM_POOL", "market_data_pool")},
}
ARGUS_DATA_SOURCE = {"BACKEND": _SOURCE, "OPTIONS": _SOURCE_OPTIONS.get(_SOURCE, {})}
