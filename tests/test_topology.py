"""The two topologies come from the environment, and the embedded scheduler runs the periodic jobs."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from argus_site.scheduler import run_periodic_jobs
from argus_site.settings.config import YAML_KEYS, Config

ROOT = Path(__file__).resolve().parent.parent

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'db': settings.DATABASES['default']['ENGINE'], 'l2': settings.CACHES['default']['BACKEND'], "
    "'layer': getattr(settings, 'CHANNEL_LAYERS', None), 'eager': settings.CELERY_TASK_ALWAYS_EAGER, "
    "'jobs': settings.ARGUS_EMBEDDED_JOBS, 'standby': settings.ARGUS_EMBEDDED_JOBS_STANDBY, "
    "'auth': settings.ARGUS_AUTH_MODE, 'port': settings.ARGUS_PORT, "
    "'clock': settings.ARGUS_DATA_SOURCE['OPTIONS'].get('clock')}))"
)


def _settings_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ARGUS_", "REDIS_", "DATABASE_URL"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "argus_site.settings.base", "ARGUS_CONFIG_FILE": "/nonexistent", **env})
    command = [sys.executable, "-c", PROBE]
    return subprocess.run(command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


def test_embedded_default_needs_no_services() -> None:
    result = _settings_with({})
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen == {
        "db": "django.db.backends.sqlite3",
        "l2": "django.core.cache.backends.locmem.LocMemCache",
        "layer": None,  # live quotes fan out through the stream hub, not a channel layer
        "eager": True,
        "jobs": True,
        "standby": False,
        "auth": "development",
        "port": 8001,
        "clock": "replay",
    }


def test_production_uses_postgres_redis_and_celery() -> None:
    result = _settings_with(
        {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/argus",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "ARGUS_SECRET_KEY": "x" * 50,
        }
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["db"] == "django.db.backends.postgresql"
    assert seen["l2"] == "django_redis.cache.RedisCache"
    assert seen["layer"] is None  # one Redis pub/sub subscription per process (streaming/hub.py)
    # Periodic jobs stand by in the server: they run here only while no Celery worker runs them.
    assert (seen["eager"], seen["jobs"], seen["standby"], seen["clock"]) == (False, True, True, "real")
    assert seen["auth"] == "production"


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _settings_with({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/argus"})
    assert result.returncode != 0
    assert "ARGUS_SECRET_KEY must be set" in result.stderr


def test_a_trusted_proxy_that_is_not_an_address_stops_start_up() -> None:
    result = _settings_with({"ARGUS_TRUSTED_PROXIES": "127.0.0.1,proxy.internal"})
    assert result.returncode != 0
    assert "ARGUS_TRUSTED_PROXIES: 'proxy.internal' is not an IP address or network" in result.stderr
    assert _settings_with({"ARGUS_TRUSTED_PROXIES": "10.0.0.0/8, ::1"}).returncode == 0


def test_guide_redis_host_form_turns_redis_on() -> None:
    result = _settings_with({"REDIS_HOST": "127.0.0.1", "REDIS_DB": "3", "ARGUS_SECRET_KEY": "y" * 50})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["l2"] == "django_redis.cache.RedisCache"


def test_redis_alone_does_not_switch_on_production_auth_or_require_a_secret_key() -> None:
    result = _settings_with({"REDIS_HOST": "127.0.0.1"})
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert (seen["l2"], seen["auth"], seen["standby"]) == ("django_redis.cache.RedisCache", "development", True)
    chosen = _settings_with({"REDIS_HOST": "127.0.0.1", "ARGUS_AUTH_MODE": "production"})
    assert chosen.returncode != 0 and "ARGUS_SECRET_KEY must be set in production auth mode" in chosen.stderr
    explicit = _settings_with({"REDIS_HOST": "127.0.0.1", "ARGUS_EMBEDDED_JOBS": "false"})
    assert json.loads(explicit.stdout)["jobs"] is False


def test_redis_alone_keeps_the_replayed_market_so_pushes_flow_at_any_hour() -> None:
    # The guide's settings.yaml (Redis, no server database) is a development set-up: the simulated
    # market is the latest session replayed, as embedded; the exchange's clock is for deployments.
    seen = json.loads(_settings_with({"REDIS_HOST": "127.0.0.1"}).stdout)
    assert seen["clock"] == "replay"
    key = "z" * 50
    deployed = _settings_with({"REDIS_HOST": "127.0.0.1", "ARGUS_AUTH_MODE": "production", "ARGUS_SECRET_KEY": key})
    assert json.loads(deployed.stdout)["clock"] == "real"
    chosen = _settings_with({"REDIS_HOST": "127.0.0.1", "ARGUS_SIM_CLOCK": "real"})
    assert json.loads(chosen.stdout)["clock"] == "real"


def test_example_yaml_holds_every_known_key() -> None:
    cfg = Config({}, ROOT / "config" / "settings.example.yaml")
    assert set(YAML_KEYS.values()) <= set(cfg.values)


def test_every_variable_is_documented() -> None:
    """Each variable settings read appears in README's table and in .env.example."""
    source = "\n".join(path.read_text() for path in sorted((ROOT / "argus_site" / "settings").glob("*.py")))
    names = set(re.findall(r'cfg\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', source)) | {"ARGUS_CONFIG_FILE"}
    assert {"ARGUS_PORT", "REDIS_URL", "DATABASE_URL", "XTQUANT_PORT"} <= names
    env_example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    assert [name for name in sorted(names) if f"`{name}`" not in readme] == []
    assert [name for name in sorted(names) if f"\n{name}=" not in env_example] == []


async def test_embedded_scheduler_runs_each_job_repeatedly(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    three = threading.Event()

    def record() -> None:
        calls.append("tick")
        if len(calls) >= 3:
            three.set()

    monkeypatch.setattr("tests.test_topology.record_call", record, raising=False)
    jobs = {
        "probe": {"task": "tests.test_topology.record_call", "interval": 0.05},
        "missing": {"task": "tests.nowhere.task", "interval": 0.05},
    }
    runner = asyncio.create_task(run_periodic_jobs(jobs))
    await asyncio.to_thread(three.wait, 10)  # a condition with a timeout, not a fixed sleep
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert len(calls) >= 3


async def test_standby_scheduler_leaves_jobs_to_celery_and_takes_them_back(services: None) -> None:
    from django.conf import settings

    from argus_site.scheduler import celery_alive_key, mark_celery_alive
    from core.redis import redis_client

    calls: list[str] = []
    name = f"probe-{os.getpid()}-{id(calls)}"
    jobs = {name: {"task": "tests.test_topology.record_call", "interval": 0.1}}
    import tests.test_topology as module

    module.record_call = lambda: calls.append("tick")  # type: ignore[attr-defined]
    client = redis_client()
    try:
        await asyncio.to_thread(mark_celery_alive)  # a Celery worker just started a periodic task
        runners = [asyncio.create_task(run_periodic_jobs(jobs, standby=True)) for _ in range(2)]
        await asyncio.sleep(0.5)
        assert calls == []  # Celery runs them: both servers stand by
        await asyncio.to_thread(client.delete, celery_alive_key())
        await asyncio.sleep(1.0)
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)
        # ~10 ticks of 0.1 s in 1 s, each run by one of the two servers (the tick's lock), never both.
        assert 3 <= len(calls) <= 15, calls
    finally:
        await asyncio.to_thread(client.delete, celery_alive_key())
        assert settings.ARGUS_NAMESPACE in celery_alive_key()
