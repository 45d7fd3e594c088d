"""Test settings: the embedded default, or PostgreSQL + Redis when ARGUS_TEST_SERVICES=1.

`make test` runs the suite once each way. Names in PostgreSQL and Redis carry a checkout id so
two checkouts (or a CI run beside a developer) never share a database or keys.
"""

import hashlib
import os
from pathlib import Path

_checkout = hashlib.sha1(str(Path(__file__).resolve().parent.parent.parent).encode()).hexdigest()[:8]

os.environ.setdefault("ARGUS_SECRET_KEY", "argus-tests-only-not-a-secret")
# Tests drive periodic jobs themselves; a scheduler in the test process would race them.
os.environ.setdefault("ARGUS_EMBEDDED_JOBS", "false")
os.environ.setdefault("ARGUS_NAMESPACE", f"argus-test-{_checkout}")
os.environ.setdefault("ARGUS_SIM_UNIVERSE_SIZE", "400")
os.environ.setdefault("ARGUS_SIM_CLOCK", "real")
os.environ.setdefault("ARGUS_CONFIG_FILE", "/nonexistent/argus-tests-ignore-local-yaml")
# Keys are not required in tests (the PostgreSQL + Redis pass is "production" by topology); the
# monitoring tests switch the production rules on themselves.
os.environ.setdefault("ARGUS_AUTH_MODE", "development")
# Rate limits far above what any test sends; tests of the limits set the spec's numbers themselves.
for _rate_class in ("REALTIME", "HISTORY", "MANAGEMENT", "WEBSOCKET"):
    os.environ.setdefault(f"ARGUS_RATE_LIMIT_{_rate_class}", "1000000")
if os.environ.get("ARGUS_TEST_SERVICES") == "1":
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/argus")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

from argus_site.settings.base import *  # noqa: E402,F403
from argus_site.settings.base import DATABASES, VAR_DIR  # noqa: E402

ARGUS_TEST_SERVICES = os.environ.get("ARGUS_TEST_SERVICES") == "1"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if ARGUS_TEST_SERVICES:
    DATABASES["default"]["TEST"] = {"NAME": f"test_argus_{_checkout}"}
else:
    # A file, not :memory:, so servers started by end-to-end tests see the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_argus_{_checkout}.sqlite3")}
