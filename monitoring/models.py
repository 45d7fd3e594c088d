"""API keys and alerting: rows operators manage in the admin."""

from __future__ import annotations

from django.db import models


class Scope(models.TextChoices):
    """What a key may do (the spec's v1.1 plan: read market data, manage cache, manage pools)."""

    MARKET_DATA_READ = "market_data:read", "read market data"
    CACHE_MANAGE = "cache:manage", "manage cache"
    POOLS_MANAGE = "pools:manage", "manage pools"


class ApiKey(models.Model):
    """A named, scoped key. Only a SHA-256 digest is stored; the raw key is shown once."""

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=16, unique=True, editable=False, help_text="visible part, for lookup")
    digest = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list, help_text="any of: market_data:read, cache:manage, pools:manage")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class AlertRule(models.Model):
    """A threshold on one measured figure; fires while the comparison holds."""

    class Metric(models.TextChoices):
        CACHE_HIT_RATE = "cache_hit_rate", "cache hit rate (0..1)"
        RESPONSE_TIME = "avg_response_time_ms", "average response time (ms)"
        ERROR_RATE = "error_rate", "error rate (0..1)"
        MEMORY = "memory_percent", "memory used (%)"
        CPU = "cpu_percent", "CPU used (%)"
        DISK = "disk_usage_percent", "disk used (%)"
        CALENDAR_DAYS_LEFT = "calendar_days_left", "days of trading calendar left (fewest of any market)"

    class Operator(models.TextChoices):
        GT = "gt", ">"
        LT = "lt", "<"

    name = models.CharField(max_length=100, unique=True)
    metric = models.CharField(max_length=40, choices=Metric.choices)
    operator = models.CharField(max_length=2, choices=Operator.choices)
    threshold = models.FloatField()
    min_samples = models.PositiveIntegerField(
        default=0,
        help_text=(
            "rates and means (cache hit rate, error rate, response time): judged only once they are measured"
            " over at least this many requests or cache reads; 0 judges every value"
        ),
    )
    enabled = models.BooleanField(default=True)
    firing = models.BooleanField(default=False, editable=False)
    last_value = models.FloatField(null=True, blank=True, editable=False)
    last_evaluated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.metric} {self.get_operator_display()} {self.threshold:g}"

    # The figures that are a rate or mean over requests: a handful of requests proves nothing.
    SAMPLED_METRICS = frozenset({Metric.CACHE_HIT_RATE, Metric.RESPONSE_TIME, Metric.ERROR_RATE})

    def breached(self, value: float) -> bool:
        return value > self.threshold if self.operator == self.Operator.GT else value < self.threshold


class AlertEvent(models.Model):
    """A rule starting or stopping to fire."""

    class Kind(models.TextChoices):
        FIRING = "firing", "firing"
        RESOLVED = "resolved", "resolved"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.FloatField()
    threshold = models.FloatField()
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    webhook_status = models.CharField(max_length=100, blank=True, help_text="what the webhook answered, if any")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind}: {self.message}"
