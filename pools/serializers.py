"""Input validation for the pool API (DRF serializers validate; services change state)."""

from __future__ import annotations

import ipaddress
import math
import re
from typing import Any

from django.conf import settings
from rest_framework import serializers

from pools.models import Strategy

NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def _finite(value: float) -> None:
    if not math.isfinite(value):
        raise serializers.ValidationError("must be a finite number")


class TextField(serializers.CharField):
    """A JSON string, not a number or boolean turned into one (DRF's CharField would take 0 as "0")."""

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError(f"must be a string, not {type(data).__name__} {data!r}")
        return str(super().to_internal_value(data))


class NodeSerializer(serializers.Serializer):
    host = TextField(max_length=255)
    port = serializers.IntegerField(min_value=1, max_value=65535)
    weight = serializers.FloatField(default=1.0, min_value=0.001, validators=[_finite])
    max_connections = serializers.IntegerField(default=100, min_value=1, max_value=100_000)

    def validate_host(self, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not HOSTNAME_RE.match(value):
                raise serializers.ValidationError(f"{value!r} is not a hostname or IP address") from None
        return value


class ConfigSerializer(serializers.Serializer):
    min_size = serializers.IntegerField(min_value=0, required=False)
    max_size = serializers.IntegerField(min_value=1, required=False)
    initial_size = serializers.IntegerField(min_value=0, required=False)
    timeout = serializers.FloatField(min_value=0.1, max_value=3600, required=False)
    max_idle_time = serializers.FloatField(min_value=0, max_value=86400, required=False)
    health_check_interval = serializers.FloatField(min_value=1, max_value=86400, required=False)
    auto_scale = serializers.BooleanField(required=False)
    scale_factor = serializers.FloatField(min_value=1.0, max_value=10.0, required=False)
    scale_threshold = serializers.FloatField(min_value=0.01, max_value=1.0, required=False)
    load_balance_strategy = serializers.ChoiceField(choices=Strategy.values, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        config = {
            "min_size": settings.POOL_MIN_SIZE,
            "max_size": settings.POOL_MAX_SIZE,
            "timeout": settings.POOL_TIMEOUT,
            "max_idle_time": settings.POOL_MAX_IDLE_TIME,
            "health_check_interval": settings.POOL_HEALTH_CHECK_INTERVAL,
            "auto_scale": settings.POOL_AUTO_SCALE,
            "scale_factor": settings.POOL_SCALE_FACTOR,
            "scale_threshold": settings.POOL_SCALE_THRESHOLD,
            "load_balance_strategy": Strategy.ROUND_ROBIN.value,
            **attrs,
        }
        config.setdefault("initial_size", config["min_size"])
        if config["min_size"] > config["max_size"]:
            raise serializers.ValidationError(
                f"min_size ({config['min_size']}) must not be larger than max_size ({config['max_size']})"
            )
        if not config["min_size"] <= config["initial_size"] <= config["max_size"]:
            raise serializers.ValidationError(
                f"initial_size ({config['initial_size']}) must lie between min_size ({config['min_size']}) "
                f"and max_size ({config['max_size']})"
            )
        if config["initial_size"] < 1:
            raise serializers.ValidationError("initial_size must be at least 1 (a pool of 0 connections sends nothing)")
        return config


class PoolCreateSerializer(serializers.Serializer):
    name = TextField(max_length=100)
    config = ConfigSerializer(required=False, default=dict)
    server_nodes = NodeSerializer(many=True, required=False, default=list)

    def validate_name(self, value: str) -> str:
        if not NAME_RE.match(value):
            raise serializers.ValidationError("use 1-100 letters, digits, '_', '-' or '.'")
        return value

    def validate_config(self, value: dict[str, Any]) -> dict[str, Any]:
        return value or ConfigSerializer().validate({})

    def validate_server_nodes(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: set[tuple[str, int]] = set()
        for node in value:
            address = (node["host"], node["port"])
            if address in seen:
                raise serializers.ValidationError(f"{node['host']}:{node['port']} is listed twice")
            seen.add(address)
        return value


class ScaleSerializer(serializers.Serializer):
    target_size = serializers.IntegerField()
