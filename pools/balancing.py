"""Load-balancing strategies: each picks one node among the candidates it is given."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from typing import Protocol, TypeVar


class Candidate(Protocol):
    @property
    def key(self) -> str: ...  # host:port

    @property
    def weight(self) -> float: ...

    @property
    def active(self) -> int: ...  # requests in flight to this node, in this process


C = TypeVar("C", bound=Candidate)


class Balancer:
    """Round robin over the candidates (the base the others refine)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counter = 0

    def pick(self, candidates: Sequence[C]) -> C:
        with self._lock:
            chosen = candidates[self._counter % len(candidates)]
            self._counter += 1
        return chosen


class LeastConnections(Balancer):
    """Fewest requests in flight; ties go round robin so sequential traffic still spreads."""

    def pick(self, candidates: Sequence[C]) -> C:
        fewest = min(c.active for c in candidates)
        return super().pick([c for c in candidates if c.active == fewest])


class WeightedRoundRobin(Balancer):
    """Smooth weighted round robin (as nginx does it): node i gets weight_i / sum(weights) of requests."""

    def __init__(self) -> None:
        super().__init__()
        self._current: dict[str, float] = {}

    def pick(self, candidates: Sequence[C]) -> C:
        total = sum(c.weight for c in candidates)
        with self._lock:
            for c in candidates:
                self._current[c.key] = self._current.get(c.key, 0.0) + c.weight
            chosen = max(candidates, key=lambda c: self._current[c.key])
            self._current[chosen.key] -= total
        return chosen


class Random(Balancer):
    """Uniformly random."""

    def pick(self, candidates: Sequence[C]) -> C:
        return random.choice(candidates)


BALANCERS: dict[str, type[Balancer]] = {
    "round_robin": Balancer,
    "least_connections": LeastConnections,
    "weighted_round_robin": WeightedRoundRobin,
    "random": Random,
}
