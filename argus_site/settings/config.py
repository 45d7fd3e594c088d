"""Read Argus configuration once: environment variables over `config/settings.yaml`.

The user guide documents both the environment variables (ARGUS_HOST, REDIS_HOST, POOL_MIN_SIZE ...)
and an optional YAML file. Each YAML key maps to exactly one environment variable, so there is
one name per setting and the environment always wins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ImproperlyConfigured

# (yaml path) -> environment variable it stands for.
YAML_KEYS: dict[tuple[str, ...], str] = {
    ("server", "host"): "ARGUS_HOST",
    ("server", "port"): "ARGUS_PORT",
    ("server", "debug"): "ARGUS_DEBUG",
    ("server", "workers"): "ARGUS_WORKERS",
    ("cache", "redis", "host"): "REDIS_HOST",
    ("cache", "redis", "port"): "REDIS_PORT",
    ("cache", "redis", "db"): "REDIS_DB",
    # The guide's TTL classes seed the cache rules (hot: LATEST_DATA, warm: HISTORY_DATA, cold:
    # BASIC_INFO) when they are first created; the rows are what counts afterwards.
    ("cache", "ttl", "hot_data"): "ARGUS_CACHE_TTL_HOT",
    ("cache", "ttl", "warm_data"): "ARGUS_CACHE_TTL_WARM",
    ("cache", "ttl", "cold_data"): "ARGUS_CACHE_TTL_COLD",
    ("connection_pool", "default", "min_size"): "POOL_MIN_SIZE",
    ("connection_pool", "default", "max_size"): "POOL_MAX_SIZE",
    ("connection_pool", "default", "timeout"): "POOL_TIMEOUT",
    ("connection_pool", "default", "auto_scale"): "POOL_AUTO_SCALE",
    ("connection_pool", "default", "scale_threshold"): "POOL_SCALE_THRESHOLD",
    ("connection_pool", "default", "health_check_interval"): "POOL_HEALTH_CHECK_INTERVAL",
    ("market_data", "websocket", "max_connections"): "ARGUS_WS_MAX_CONNECTIONS",
    ("market_data", "websocket", "heartbeat_interval"): "ARGUS_WS_HEARTBEAT_INTERVAL",
    ("market_data", "batch_size"): "ARGUS_FEED_BATCH_SIZE",
    ("market_data", "buffer_size"): "ARGUS_REPLAY_BUFFER_SIZE",
}


def _flatten(tree: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    flat: dict[tuple[str, ...], Any] = {}
    for key, value in tree.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping):
            flat.update(_flatten(value, path))
        else:
            flat[path] = value
    return flat


def read_yaml(path: Path) -> dict[str, str]:
    """Translate the user guide's settings.yaml into environment-variable names."""
    if not path.is_file():
        return {}
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ImproperlyConfigured(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(tree, Mapping):
        raise ImproperlyConfigured(f"{path}: the top level must be a mapping")
    values: dict[str, str] = {}
    for yaml_path, value in _flatten(tree).items():
        env_name = YAML_KEYS.get(yaml_path)
        if env_name is None:
            known = ", ".join(".".join(p) for p in YAML_KEYS)
            raise ImproperlyConfigured(f"{path}: unknown key {'.'.join(yaml_path)}; known keys: {known}")
        values[env_name] = str(value).lower() if isinstance(value, bool) else str(value)
    return values


class Config:
    """Typed reads over the merged mapping (YAML first, the environment over it)."""

    def __init__(self, environ: Mapping[str, str], yaml_path: Path) -> None:
        from_yaml = read_yaml(yaml_path)
        self.values: dict[str, str] = {**from_yaml, **environ}
        # A value the YAML file gave is reported by its YAML key (server.port), in the user's words.
        yaml_names = {env: ".".join(path) for path, env in YAML_KEYS.items()}
        self.origin: dict[str, str] = {
            env: f"{yaml_names[env]} in {yaml_path}" for env in from_yaml if env not in environ and env in yaml_names
        }

    def _bad(self, name: str, raw: object, expected: str) -> ImproperlyConfigured:
        where = self.origin.get(name)
        if where is not None:
            return ImproperlyConfigured(f"{where}: {raw!r} is wrong, expected {expected}")
        return ImproperlyConfigured(f"{name}={raw!r}: expected {expected}")

    def is_set(self, name: str) -> bool:
        return bool(self.values.get(name, "").strip())

    def text(self, name: str, default: str = "") -> str:
        value = self.values.get(name)
        return default if value is None or value.strip() == "" else value.strip()

    def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise self._bad(name, raw, "an integer") from exc
        if minimum is not None and value < minimum:
            raise self._bad(name, value, f"at least {minimum}")
        return value

    def number(self, name: str, default: float, *, minimum: float | None = None) -> float:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError as exc:
            raise self._bad(name, raw, "a number") from exc
        if minimum is not None and value < minimum:
            raise self._bad(name, value, f"at least {minimum}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self.text(name).lower()
        if not raw:
            return default
        if raw in {"1", "true", "yes", "on"}:
            return True
        if raw in {"0", "false", "no", "off"}:
            return False
        raise self._bad(name, raw, "true or false")

    def items(self, name: str, default: list[str]) -> list[str]:
        raw = self.text(name)
        if not raw:
            return list(default)
        return [item.strip() for item in raw.split(",") if item.strip()]


# Values under the YAML file and the environment: a settings module that layers itself over base
# (argus_site/settings/test.py) fills this before importing it, so os.environ is never written and
# every explicit variable still wins, in this process and in the processes it starts.
DEFAULTS: dict[str, str] = {}


def auth_mode(cfg: Config) -> str:
    """ARGUS_AUTH_MODE, its own choice. Unset: `production` with a server database (a DATABASE_URL
    that is not SQLite: a deployment), else `development`. Redis alone (the guide's settings.yaml)
    never switches it: Redis configured means Redis is used, not that keys and secrets are required."""
    database = cfg.text("DATABASE_URL")
    server_database = bool(database) and not database.startswith("sqlite")
    return cfg.text("ARGUS_AUTH_MODE", "production" if server_database else "development")


class Paths:
    """Where a process keeps its files, and whether it is the embedded default (no external services)."""

    def __init__(self, cfg: Config, base_dir: Path) -> None:
        self.var_dir = base_dir / "var"
        self.static_root = self.var_dir / "static"
        self.secret_key_file = self.var_dir / "secret_key"
        self.log_dir = Path(cfg.text("ARGUS_LOG_DIR", str(base_dir / "logs")))  # "-": the console only
        self.embedded = not (cfg.is_set("DATABASE_URL") or cfg.is_set("REDIS_URL") or cfg.is_set("REDIS_HOST"))
        # Outside production auth mode a missing ARGUS_SECRET_KEY is generated into var/secret_key.
        self.generated_secret = not cfg.is_set("ARGUS_SECRET_KEY") and auth_mode(cfg) != "production"


def load(base_dir: Path) -> Config:
    """Build the process's one Config (called once, from settings)."""
    environ = {**DEFAULTS, **os.environ}
    yaml_path = Path(environ.get("ARGUS_CONFIG_FILE", "") or base_dir / "config" / "settings.yaml")
    return Config(environ, yaml_path)
