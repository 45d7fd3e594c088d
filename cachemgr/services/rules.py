"""Cache rules as every process sees them: loaded from the database, reloaded when any process changes one."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from cachemgr.models import CacheRule, rule_problems

logger = logging.getLogger("argus.cache")

# The spec's cache_rules; the data migration seeds the same rows. Used while the table is empty
# or unreadable (an async caller, a test without database access), never instead of a real row.
SPEC_RULES: dict[str, dict[str, Any]] = {
    "LATEST_DATA": {"ttl": 30, "max_size": 1000, "level": "L1", "priority": "high", "min_ttl": 5, "max_ttl": 120},
    "HISTORY_DATA": {"ttl": 300, "max_size": 5000, "level": "L2", "priority": "medium", "min_ttl": 60, "max_ttl": 3600},
    "BASIC_INFO": {"ttl": 3600, "max_size": 2000, "level": "L3", "priority": "low", "min_ttl": 600, "max_ttl": 86400},
}
# The user guide's TTL classes (cache.ttl.hot_data/warm_data/cold_data) seed these rules' TTLs.
TTL_SETTINGS = {
    "LATEST_DATA": "ARGUS_CACHE_TTL_HOT",
    "HISTORY_DATA": "ARGUS_CACHE_TTL_WARM",
    "BASIC_INFO": "ARGUS_CACHE_TTL_COLD",
}


def seed_rules(configured: Any) -> dict[str, dict[str, Any]]:
    """The spec's rules with the TTLs `configured` (settings) gives; bounds widen to admit them."""
    rules: dict[str, dict[str, Any]] = {}
    for name, values in SPEC_RULES.items():
        ttl = int(getattr(configured, TTL_SETTINGS[name], values["ttl"]))
        rules[name] = {
            **values,
            "ttl": ttl,
            "min_ttl": min(values["min_ttl"], ttl),
            "max_ttl": max(values["max_ttl"], ttl),
        }
    return rules


DEFAULT_RULES = seed_rules(settings)
# Which stores a rule's level fills: L1 data also goes to L2 so every process (and the feed in
# another process) shares it; L3 data sits behind L2 for speed and in L3 to survive restarts.
LEVEL_STORES = {"L1": ("L1", "L2"), "L2": ("L2",), "L3": ("L2", "L3")}
RULE_FIELDS = ("ttl", "max_size", "level", "priority", "min_ttl", "max_ttl")
# A process reloads its rules at least this often even if it missed a change notice.
RELOAD_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    ttl: int
    max_size: int
    level: str
    priority: str
    min_ttl: int
    max_ttl: int

    @property
    def stores(self) -> tuple[str, ...]:
        return LEVEL_STORES[self.level]


class RuleBook:
    """This process's copy of the rules."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}
        self._loaded_at = 0.0
        self._stale = True
        self._lock = threading.Lock()

    def mark_stale(self) -> None:
        self._stale = True

    def get(self, name: str) -> Rule:
        if self._stale or time.monotonic() - self._loaded_at > RELOAD_SECONDS:
            self._load()
        try:
            return self._rules[name]
        except KeyError:
            raise ValueError(f"unknown cache rule {name!r}; known: {', '.join(sorted(self._rules))}") from None

    def all(self) -> dict[str, Rule]:
        self.get(next(iter(DEFAULT_RULES)))
        return dict(self._rules)

    def loaded(self) -> dict[str, Rule]:
        """The rules as last loaded, without touching the database (for the sync thread)."""
        return dict(self._rules) or {name: Rule(name=name, **values) for name, values in DEFAULT_RULES.items()}

    def _load(self) -> None:
        with self._lock:
            rules = {name: Rule(name=name, **values) for name, values in DEFAULT_RULES.items()}
            try:
                for row in CacheRule.objects.all():
                    rules[row.name] = Rule(row.name, *(getattr(row, f) for f in RULE_FIELDS))
            except Exception as exc:
                # Keep serving with the last rules we had (or the spec's) rather than failing reads.
                logger.debug("cache rules not reloaded (%s); keeping the current ones", exc)
                if self._rules:
                    self._loaded_at = time.monotonic()
                    return
            self._rules = rules
            self._loaded_at = time.monotonic()
            self._stale = False


rulebook = RuleBook()


def rule_update(name: str, changes: dict[str, Any]) -> CacheRule:
    """Validate and save changes to one rule (creating its row from the defaults if missing)."""
    from cachemgr.services.sync import rules_changed

    unknown = sorted(set(changes) - set(RULE_FIELDS))
    if unknown:
        raise ValueError(f"{name}: unknown fields {', '.join(unknown)}; allowed: {', '.join(RULE_FIELDS)}")
    with transaction.atomic():
        row = CacheRule.objects.select_for_update().filter(name=name).first()
        if row is None:
            if name not in DEFAULT_RULES:
                raise ValueError(f"unknown cache rule {name!r}; known: {', '.join(sorted(rulebook.all()))}")
            row = CacheRule(name=name, **DEFAULT_RULES[name])
        for field, value in changes.items():
            setattr(row, field, value)
        problems = rule_problems(**{f: getattr(row, f) for f in RULE_FIELDS})
        if problems:
            raise ValueError(f"{name}: {'; '.join(problems)}")
        row.save()
    rules_changed()
    return row


def cache_config() -> dict[str, Any]:
    """The spec's cache configuration: `{"cache_rules": {NAME: {ttl, max_size, level, priority, ...}}}`."""
    rulebook.mark_stale()
    return {
        "cache_rules": {
            name: {field: getattr(rule, field) for field in RULE_FIELDS} for name, rule in rulebook.all().items()
        }
    }
