"""Where this process runs: the configuration it reads, its directories, and which topology it is.

- embedded default (neither DATABASE_URL nor Redis configured): SQLite, in-process caches, periodic
  jobs inside the server process;
- production (DATABASE_URL and REDIS_URL set): PostgreSQL, django-redis, Celery with a Redis broker,
  with the worker and exactly one beat as their own processes.

Reading this module has no side effects: directories and the embedded secret key are made by
argus_site/bootstrap.py, which every entry point runs first.
"""

from __future__ import annotations

from pathlib import Path

import django_stubs_ext

from argus_site.settings.config import Paths, load

BASE_DIR = Path(__file__).resolve().parent.parent.parent
cfg = load(BASE_DIR)
_paths = Paths(cfg, BASE_DIR)
VAR_DIR = _paths.var_dir
STATIC_ROOT = _paths.static_root
# Lets admin.ModelAdmin[Model] and QuerySet[Model] be subscripted at runtime (django-stubs).
django_stubs_ext.monkeypatch()

ARGUS_VERSION = "1.0.0"
ARGUS_NAMESPACE = cfg.text("ARGUS_NAMESPACE", "argus")

DATABASE_URL = cfg.text("DATABASE_URL")
if cfg.is_set("REDIS_URL"):
    REDIS_URL = cfg.text("REDIS_URL")
elif cfg.is_set("REDIS_HOST"):
    REDIS_URL = f"redis://{cfg.text('REDIS_HOST')}:{cfg.integer('REDIS_PORT', 6379)}/{cfg.integer('REDIS_DB', 0)}"
else:
    REDIS_URL = ""
USE_REDIS = bool(REDIS_URL)
# Production means external services; the periodic jobs then belong to Celery beat.
ARGUS_PRODUCTION = not _paths.embedded  # the one definition (argus_site.settings.config.Paths)
# Periodic jobs in the server process: `auto` (default) runs them without Redis, and with Redis
# stands by: each job runs here only while no Celery worker has run one lately (argus_site/scheduler.py),
# so the guide's settings.yaml (Redis, no Celery) still polls the feed. `true`: always; `false`: never.
_jobs_mode = cfg.text("ARGUS_EMBEDDED_JOBS", "auto").lower()
ARGUS_EMBEDDED_JOBS = True if _jobs_mode == "auto" else cfg.flag("ARGUS_EMBEDDED_JOBS", False)
ARGUS_EMBEDDED_JOBS_STANDBY = _jobs_mode == "auto" and USE_REDIS
GENERATED_SECRET_KEY = _paths.generated_secret

ARGUS_LOG_DIR = _paths.log_dir  # "-": the console only
SECRET_KEY_FILE = _paths.secret_key_file
