"""Auto-scaling from measured utilisation."""

from __future__ import annotations

import logging
import math

from pools.selectors import pool_get, pool_measure
from pools.services.config import ScaleResult, pool_scale

logger = logging.getLogger("argus.pools")


def pool_autoscale(*, name: str) -> ScaleResult | None:
    """Grow by scale_factor when utilisation passed scale_threshold; shrink toward min_size when idle.

    Utilisation is the busy connection-time of every reporting process over the last
    health_check_interval (at most 60 s) divided by the capacity they held in that time.
    """
    pool = pool_get(name=name)
    if not pool.auto_scale:
        return None
    last = min(pool.health_check_interval, 60.0)
    measure = pool_measure(name=name, last=last)
    if not measure.processes:
        return None
    capacity = pool.current_size * measure.processes * measure.window.seconds
    utilisation = measure.window.busy / capacity if capacity else 0.0
    size = pool.current_size
    if utilisation >= pool.scale_threshold and size < pool.max_size:
        target = min(pool.max_size, max(size + 1, math.ceil(size * pool.scale_factor)))
    else:
        target = max(pool.min_size, math.floor(size / pool.scale_factor))
        # Shrink only if the smaller pool would still sit well below the growth line.
        if target >= size or utilisation * size / max(target, 1) >= pool.scale_threshold / pool.scale_factor:
            return None
    reason = (
        f"auto: utilisation {utilisation:.2f} over {measure.window.seconds:.0f} s, threshold {pool.scale_threshold}"
    )
    return pool_scale(name=name, target_size=target, reason=reason)
