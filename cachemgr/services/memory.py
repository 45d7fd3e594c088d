"""L1: this process's memory, bounded by entries and bytes; evicts LRU within the lowest priority first.

Bytes are the pickled size of each value plus its key: the figure is the same one L2 and L3 store,
so levels compare; Python's object overhead on top of it is not counted.
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

PRIORITY_ORDER = {"low": 0, "medium": 1, "high": 2}


@dataclass(slots=True)
class Entry:
    value: Any
    stored_at: float  # wall time the value was loaded or written (its age counts from here)
    filled_at: float  # wall time this process put it in L1
    size: int
    last_read: float


@dataclass(slots=True)
class Freed:
    keys: int = 0
    bytes: int = 0

    def add(self, entry: Entry) -> None:
        self.keys += 1
        self.bytes += entry.size


@dataclass(slots=True)
class _Group:
    priority: int
    entries: OrderedDict[str, Entry] = field(default_factory=OrderedDict)
    bytes: int = 0


def measure(key: str, value: Any) -> int:
    """The accounted size of one entry."""
    return len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)) + len(key)


class MemoryCache:
    """A process-local store of rule -> key -> Entry with hard entry and byte bounds."""

    def __init__(self, *, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._groups: dict[str, _Group] = {}
        self._keys = 0
        self._bytes = 0
        self._lock = threading.Lock()
        self.evictions = 0

    def get(self, rule: str, key: str) -> Entry | None:
        with self._lock:
            group = self._groups.get(rule)
            entry = group.entries.get(key) if group else None
            if group is None or entry is None:
                return None
            group.entries.move_to_end(key)
            return entry

    def put(self, rule: str, key: str, entry: Entry, *, priority: str, max_size: int) -> bool:
        """Store `entry`; False (and nothing stored) when it alone is larger than the byte bound."""
        if entry.size > self.max_bytes:
            return False
        with self._lock:
            group = self._groups.setdefault(rule, _Group(PRIORITY_ORDER.get(priority, 0)))
            group.priority = PRIORITY_ORDER.get(priority, 0)
            self._remove(group, key)
            while group.entries and len(group.entries) >= max_size:
                self._evict(group)
            while self._keys >= self.max_entries or self._bytes + entry.size > self.max_bytes:
                self._evict(self._victim_group())
            group.entries[key] = entry
            group.bytes += entry.size
            self._keys += 1
            self._bytes += entry.size
            return True

    def delete(self, rule: str, key: str) -> None:
        with self._lock:
            group = self._groups.get(rule)
            if group is not None:
                self._remove(group, key)

    def clear(self, rules: set[str] | None = None) -> Freed:
        """Drop every entry of `rules` (all rules when None)."""
        freed = Freed()
        with self._lock:
            for rule, group in self._groups.items():
                if rules is None or rule in rules:
                    for key in list(group.entries):
                        freed.add(self._remove(group, key))  # type: ignore[arg-type]
        return freed

    def drop_where(self, should_drop: Any) -> Freed:
        """Drop entries for which should_drop(rule, entry) is true (expired or cold ones)."""
        freed = Freed()
        with self._lock:
            for rule, group in self._groups.items():
                for key, entry in list(group.entries.items()):
                    if should_drop(rule, entry):
                        self._remove(group, key)
                        freed.add(entry)
        return freed

    def trim(self, target_bytes: int) -> Freed:
        """Evict (lowest priority, least recently used first) until at most `target_bytes` are held."""
        freed = Freed()
        with self._lock:
            while self._bytes > target_bytes and self._keys:
                freed.add(self._evict(self._victim_group()))
        return freed

    def figures(self) -> dict[str, Any]:
        """Entries and bytes held, in total and per rule."""
        with self._lock:
            return {
                "keys": self._keys,
                "bytes": self._bytes,
                "rules": {rule: {"keys": len(g.entries), "bytes": g.bytes} for rule, g in self._groups.items()},
            }

    def _remove(self, group: _Group, key: str) -> Entry | None:
        entry = group.entries.pop(key, None)
        if entry is not None:
            group.bytes -= entry.size
            self._keys -= 1
            self._bytes -= entry.size
        return entry

    def _victim_group(self) -> _Group:
        """The lowest-priority group holding entries; among equals, the one whose LRU entry is oldest."""
        candidates = [g for g in self._groups.values() if g.entries]
        return min(candidates, key=lambda g: (g.priority, next(iter(g.entries.values())).last_read))

    def _evict(self, group: _Group) -> Entry:
        key = next(iter(group.entries))
        self.evictions += 1
        return self._remove(group, key)  # type: ignore[return-value]
