"""What a process makes on disk before Django reads its settings: directories and the generated secret key.

Settings modules only read (argus_site/settings/topology.py); every entry point calls `bootstrap()`
first: manage.py, argus_site.asgi, argus_site.wsgi, the Celery app, and the test suite.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from argus_site.settings.config import Paths, load

BASE_DIR = Path(__file__).resolve().parent.parent


def bootstrap() -> None:
    """Create var/, var/static/, the log directory and, outside production auth mode without
    ARGUS_SECRET_KEY, var/secret_key.

    Reads the configuration on its own (not through the settings modules, which it must not load
    early: a settings module layered over base, like the tests', has yet to add its defaults).
    """
    cfg = load(BASE_DIR)
    paths = Paths(cfg, BASE_DIR)
    paths.var_dir.mkdir(parents=True, exist_ok=True)
    paths.static_root.mkdir(parents=True, exist_ok=True)
    if str(paths.log_dir) != "-":
        paths.log_dir.mkdir(parents=True, exist_ok=True)
    if paths.generated_secret:
        path = paths.secret_key_file
        if not path.exists():
            # One random key per install, kept outside the repository, readable by its owner only.
            path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
            path.chmod(0o600)
