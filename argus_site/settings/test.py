"""Test settings: the embedded default, or PostgreSQL + Redis when ARGUS_TEST_SERVICES=1.

`make test` runs the suite once each way. The test defaults below are layered under the
environment through `config.DEFAULTS` (os.environ is never written): an explicit variable still
wins, here and in every server process a test starts with these settings. Names in PostgreSQL and
Redis carry a checkout id so two checkouts (or a CI run beside a developer) never share a database
or keys. Values that are not read from the environment are overridden after the import.
"""

import hashlib
import os
from pathlib import Path

from argus_site.settings import config

_checkout = hashlib.sha1(str(Path(__file__).resolve().parent.parent.parent).encode()).hexdigest()[:8]
SERVICES = os.environ.get("ARGUS_TEST_SERVICES") == "1"

config.DEFAULTS.update(
    {
        "ARGUS_SECRET_KEY": "argus-tests-only-not-a-secret",
        # Tests drive periodic jobs themselves; a scheduler in the test process would race them.
        "ARGUS_EMBEDDED_JOBS": "false",
        "ARGUS_NAMESPACE": f"argus-test-{_checkout}",
        "ARGUS_SIM_UNIVERSE_SIZE": "400",
        "ARGUS_SIM_CLOCK": "real",
        # Tests that record switch the recorder on with a directory of their own.
        "ARGUS_RECORDER_ENABLED": "false",
        "ARGUS_CONFIG_FILE": "/nonexistent/argus-tests-ignore-local-yaml",
        # Keys are not required in tests (the PostgreSQL + Redis pass is "production" by topology);
        # the monitoring tests switch the production rules on themselves.
        "ARGUS_AUTH_MODE": "development",
        # Rate limits far above what any test sends; tests of the limits set the spec's numbers.
        **{
            f"ARGUS_RATE_LIMIT_{rate_class}": "1000000"
            for rate_class in ("REALTIME", "HISTORY", "MANAGEMENT", "WEBSOCKET")
        },
        **(
            {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/argus", "REDIS_URL": "redis://127.0.0.1:6379/0"}
            if SERVICES
            else {}
        ),
    }
)

from argus_site.settings.base import *  # noqa: E402,F403
from argus_site.settings.base import DATABASES, VAR_DIR  # noqa: E402

ARGUS_TEST_SERVICES = SERVICES
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if ARGUS_TEST_SERVICES:
    DATABASES["default"]["TEST"] = {"NAME": f"test_argus_{_checkout}"}
else:
    # A file, not :memory:, so servers started by end-to-end tests see the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_argus_{_checkout}.sqlite3")}
