"""Connection-pool configuration: the rows every process loads its live pools from."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q


class Strategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", "Round robin"
    LEAST_CONNECTIONS = "least_connections", "Least connections"
    WEIGHTED_ROUND_ROBIN = "weighted_round_robin", "Weighted round robin"
    RANDOM = "random", "Random"


class PoolConfig(models.Model):
    """One named pool of connections to upstream Argus nodes. Sizes are per process."""

    name = models.CharField(max_length=100, unique=True)
    min_size = models.PositiveIntegerField()
    max_size = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    initial_size = models.PositiveIntegerField()
    # The capacity the pool runs at now: starts at initial_size, moved by scaling.
    current_size = models.PositiveIntegerField()
    timeout = models.FloatField(validators=[MinValueValidator(0.1)], help_text="seconds")
    max_idle_time = models.FloatField(validators=[MinValueValidator(0.0)], help_text="seconds")
    health_check_interval = models.FloatField(validators=[MinValueValidator(1.0)], help_text="seconds")
    auto_scale = models.BooleanField(default=True)
    scale_factor = models.FloatField(validators=[MinValueValidator(1.0)])
    scale_threshold = models.FloatField(validators=[MinValueValidator(0.01), MaxValueValidator(1.0)])
    load_balance_strategy = models.CharField(max_length=32, choices=Strategy.choices, default=Strategy.ROUND_ROBIN)
    last_health_check = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(min_size__lte=F("max_size")), name="pool_min_le_max"),
            models.CheckConstraint(
                condition=Q(initial_size__gte=F("min_size"), initial_size__lte=F("max_size")),
                name="pool_initial_in_range",
            ),
            models.CheckConstraint(
                condition=Q(current_size__gte=F("min_size"), current_size__lte=F("max_size")),
                name="pool_current_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ServerNode(models.Model):
    """An Argus-compatible server the pool sends requests to; health is written by the health check."""

    pool = models.ForeignKey(PoolConfig, on_delete=models.CASCADE, related_name="nodes")
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(65535)])
    weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.001)])
    max_connections = models.PositiveIntegerField(default=100, validators=[MinValueValidator(1)])
    healthy = models.BooleanField(default=True)
    last_health_check = models.DateTimeField(null=True, blank=True)
    # Latency of the last health probe, in milliseconds.
    response_time_ms = models.FloatField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["pool", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pool", "host", "port"], name="pool_node_unique_address"),
            models.CheckConstraint(condition=Q(port__gte=1, port__lte=65535), name="pool_node_port_range"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="pool_node_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"
