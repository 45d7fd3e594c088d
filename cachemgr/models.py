"""Cache rules: which level a kind of data lives in, for how long, how many entries, how precious."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

LEVELS = ("L1", "L2", "L3")
PRIORITIES = ("high", "medium", "low")
MAX_TTL_SECONDS = 30 * 86400
MAX_SIZE_LIMIT = 1_000_000


class Level(models.TextChoices):
    L1 = "L1", "L1 process memory (+ shared L2)"
    L2 = "L2", "L2 shared (Redis)"
    L3 = "L3", "L3 durable (database) behind L2"


class Priority(models.TextChoices):
    HIGH = "high", "high"
    MEDIUM = "medium", "medium"
    LOW = "low", "low"


def rule_problems(*, ttl: int, max_size: int, level: str, priority: str, min_ttl: int, max_ttl: int) -> list[str]:
    """What is wrong with a rule's values, each as a sentence that says what to fix (empty when valid)."""
    problems = []
    if not 0 < ttl <= MAX_TTL_SECONDS:
        problems.append(f"ttl must be > 0 and at most {MAX_TTL_SECONDS} seconds, got {ttl}")
    if not 1 <= max_size <= MAX_SIZE_LIMIT:
        problems.append(f"max_size must be between 1 and {MAX_SIZE_LIMIT}, got {max_size}")
    if level not in LEVELS:
        problems.append(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if priority not in PRIORITIES:
        problems.append(f"priority must be one of {', '.join(PRIORITIES)}, got {priority!r}")
    if not 0 < min_ttl <= max_ttl <= MAX_TTL_SECONDS:
        problems.append(f"need 0 < min_ttl <= max_ttl <= {MAX_TTL_SECONDS}, got {min_ttl} and {max_ttl}")
    return problems


class CacheRule(models.Model):
    """One kind of cached data (the spec's cache_rules): LATEST_DATA, HISTORY_DATA, BASIC_INFO."""

    name = models.CharField(max_length=32, unique=True)
    ttl = models.PositiveIntegerField(help_text="seconds an entry may be served after it was loaded or written")
    max_size = models.PositiveIntegerField(help_text="most entries of this rule held in one process's L1")
    level = models.CharField(max_length=2, choices=Level.choices)
    priority = models.CharField(max_length=6, choices=Priority.choices)
    min_ttl = models.PositiveIntegerField(help_text="lowest ttl the optimizer may set")
    max_ttl = models.PositiveIntegerField(help_text="highest ttl the optimizer may set")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ttl__gt=0), name="cache_rule_ttl_positive"),
            models.CheckConstraint(condition=models.Q(level__in=LEVELS), name="cache_rule_level_known"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.level}, {self.ttl} s)"

    def clean(self) -> None:
        problems = rule_problems(
            ttl=self.ttl or 0,
            max_size=self.max_size or 0,
            level=self.level,
            priority=self.priority,
            min_ttl=self.min_ttl or 0,
            max_ttl=self.max_ttl or 0,
        )
        if problems:
            raise ValidationError(problems)
