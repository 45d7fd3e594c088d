"""Each web worker's PostgreSQL pool is its share of ARGUS_DB_MAX_CONNECTIONS for the worker count."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import clean_env

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {}).get('pool')))"
)


def pool_of(**env: str) -> dict[str, object] | None:
    environment = clean_env() | {
        "DJANGO_SETTINGS_MODULE": "argus_site.settings.base",
        "DATABASE_URL": "postgres://argus@127.0.0.1:5432/argus",  # never connected to: settings only
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "ARGUS_SECRET_KEY": "x" * 50,
        "ARGUS_CONFIG_FILE": "/nonexistent/argus-tests-ignore-local-yaml",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("env", "max_size"),
    [
        ({}, 10),  # 2 workers: 40 // 2 = 20, capped at 10
        ({"ARGUS_WORKERS": "8"}, 5),  # 8 × 5 = the default budget of 40
        ({"ARGUS_WORKERS": "32"}, 2),  # never below 2, even past the budget
        ({"ARGUS_WORKERS": "4", "ARGUS_DB_MAX_CONNECTIONS": "12"}, 3),
        ({"ARGUS_WORKERS": "8", "ARGUS_DB_POOL_MAX_SIZE": "7"}, 7),  # set explicitly: it wins
    ],
)
def test_the_pool_is_the_workers_share_of_the_budget(env: dict[str, str], max_size: int) -> None:
    pool = pool_of(**env)
    assert pool is not None and pool["max_size"] == max_size
